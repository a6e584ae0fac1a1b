package io.pgingest.destination.camel;

import io.pgingest.destination.duckdb.DuckDbWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code pgingest-duckdb:<file>} component: endpoints write {@code RowBatch} bodies into the
 * DuckDB file {@code <file>} (relative paths from the working directory). One writer per file,
 * shared by all endpoints of the file and closed when the component stops. Thread-safe.
 */
public final class DuckDbComponent extends DefaultComponent {

    private final Map<Path, DuckDbWriter> writers = new ConcurrentHashMap<>();

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        if (remaining == null || remaining.isBlank()) {
            throw new IllegalArgumentException("pgingest-duckdb needs a file path, e.g. pgingest-duckdb:data/demo.duckdb");
        }
        DuckDbEndpoint endpoint = new DuckDbEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        return endpoint;
    }

    /** The writer of {@code file}, opened on first use. */
    DuckDbWriter writer(String file) {
        return writers.computeIfAbsent(Path.of(file).toAbsolutePath().normalize(), path -> {
            try {
                return new DuckDbWriter(path);
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
