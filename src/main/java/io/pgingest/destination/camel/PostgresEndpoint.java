package io.pgingest.destination.camel;

import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

/** A producer-only endpoint writing {@code RowBatch} bodies into one schema of a PostgreSQL database. */
@UriEndpoint(scheme = "pgingest-postgres", title = "pg-ingest PostgreSQL destination",
        syntax = "pgingest-postgres:database", category = {Category.DATABASE}, producerOnly = true)
public final class PostgresEndpoint extends DefaultEndpoint {

    @UriPath(description = "Destination database name")
    private final String database;
    @UriParam(defaultValue = "localhost", description = "Server host")
    private String host = "localhost";
    @UriParam(defaultValue = "5432", description = "Server port")
    private int port = 5432;
    @UriParam(defaultValue = "postgres", description = "User name")
    private String user = "postgres";
    @UriParam(label = "security", secret = true, description = "Password; never logged")
    private String password;
    @UriParam(defaultValue = "public", description = "Schema of the destination tables; created when missing")
    private String schema = "public";
    @UriParam(label = "security", enums = "disable,allow,prefer,require,verify-ca,verify-full",
            description = "pgjdbc's sslmode for the destination connections; unset: the driver's default (prefer)")
    private String sslmode;

    PostgresEndpoint(String uri, PostgresComponent component, String database) {
        super(uri, component);
        this.database = database;
    }

    String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database + (sslmode == null ? "" : "?sslmode=" + sslmode);
    }

    @Override
    public Producer createProducer() {
        PostgresComponent component = (PostgresComponent) getComponent();
        return new WriterProducer(this, () -> component.writer(this));
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("pgingest-postgres is a destination: use it in to:, not from:");
    }

    public String getDatabase() {
        return database;
    }

    public String getHost() {
        return host;
    }

    public void setHost(String host) {
        this.host = host;
    }

    public int getPort() {
        return port;
    }

    public void setPort(int port) {
        this.port = port;
    }

    public String getUser() {
        return user;
    }

    public void setUser(String user) {
        this.user = user;
    }

    public String getPassword() {
        return password;
    }

    public void setPassword(String password) {
        this.password = password;
    }

    public String getSchema() {
        return schema;
    }

    public void setSchema(String schema) {
        this.schema = schema;
    }

    public String getSslmode() {
        return sslmode;
    }

    public void setSslmode(String sslmode) {
        if (!java.util.List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full").contains(sslmode)) {
            throw new IllegalArgumentException("sslmode '" + sslmode + "' is not one of disable, allow, prefer, require,"
                    + " verify-ca, verify-full");
        }
        this.sslmode = sslmode;
    }
}
