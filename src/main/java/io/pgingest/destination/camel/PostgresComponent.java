package io.pgingest.destination.camel;

import io.pgingest.destination.postgres.PostgresWriter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code pgingest-postgres:<database>?host=&port=&user=&password=&schema=} component:
 * endpoints write {@code RowBatch} bodies into one schema of a PostgreSQL database. One writer
 * per host, port, database, user and schema, shared by the endpoints that name them and closed
 * when the component stops. The password is a secret: never logged nor in the endpoint's text.
 */
public final class PostgresComponent extends DefaultComponent {

    private final Map<String, PostgresWriter> writers = new ConcurrentHashMap<>();

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        if (remaining == null || remaining.isBlank()) {
            throw new IllegalArgumentException("pgingest-postgres needs a database name, "
                    + "e.g. pgingest-postgres:analytics?host=localhost&user=loader&schema=public");
        }
        PostgresEndpoint endpoint = new PostgresEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        return endpoint;
    }

    /** The writer of the endpoint's database and schema, connected on first use. */
    PostgresWriter writer(PostgresEndpoint endpoint) {
        String key = endpoint.getUser() + "@" + endpoint.getHost() + ":" + endpoint.getPort() + "/"
                + endpoint.getDatabase() + "/" + endpoint.getSchema();
        return writers.computeIfAbsent(key, k -> {
            try {
                return new PostgresWriter(endpoint.jdbcUrl(), endpoint.getUser(), endpoint.getPassword(), endpoint.getSchema());
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        });
    }

    @Override
    protected void doStop() throws Exception {
        Writers.closeAll(writers);
        super.doStop();
    }
}
