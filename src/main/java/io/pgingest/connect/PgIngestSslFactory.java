package io.pgingest.connect;

import org.postgresql.ssl.WrappedFactory;

import java.util.Properties;

/**
 * pgjdbc's {@code sslfactory} for pg-ingest's source connections (its own and Debezium's): sockets from the
 * {@link SslMaterial} of the {@link SslSettings} carried in the connection properties. pgjdbc checks the host name
 * itself under {@code sslmode=verify-full}.
 */
public final class PgIngestSslFactory extends WrappedFactory {

    /** pgjdbc calls this constructor with the connection's properties. */
    public PgIngestSslFactory(Properties info) {
        factory = SslMaterial.load(SslSettings.fromJdbcProperties(info)).context().getSocketFactory();
    }
}
