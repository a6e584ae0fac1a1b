package io.pgingest.destination.camel;

import io.pgingest.destination.duckdb.DuckDbNative;
import io.pgingest.destination.duckdb.DuckDbWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code pgingest-duckdb:<file>} component: endpoints write {@code RowBatch} bodies into the
 * DuckDB file {@code <file>} (relative paths from the working directory). One writer per file,
 * shared by all endpoints of the file and closed when the component stops. Thread-safe.
 */
public final class DuckDbComponent extends DefaultComponent {

    private static final Logger LOG = LoggerFactory.getLogger(DuckDbComponent.class);

    private final Map<Path, DuckDbWriter> writers = new ConcurrentHashMap<>();
    /** The settings of its database instance the endpoints of each file asked for (they must agree). */
    private final Map<Path, String> fileSettings = new ConcurrentHashMap<>();

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        if (remaining == null || remaining.isBlank()) {
            throw new IllegalArgumentException("pgingest-duckdb needs a file path, e.g. pgingest-duckdb:data/demo.duckdb");
        }
        DuckDbEndpoint endpoint = new DuckDbEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        String other = fileSettings.putIfAbsent(path(remaining), endpoint.fileSettings());
        if (other != null && !other.equalsIgnoreCase(endpoint.fileSettings())) {
            throw new IllegalArgumentException("pgingest-duckdb:" + remaining + " has " + endpoint.fileSettings()
                    + " but another endpoint of the same file has " + other + ": checkpointThreshold and threads are"
                    + " settings of the file, give every endpoint of it the same (or none)");
        }
        return endpoint;
    }

    private static Path path(String file) {
        return Path.of(file).toAbsolutePath().normalize();
    }

    /** The writer of {@code file}, opened on first use. */
    DuckDbWriter writer(String file, String checkpointThreshold, int threads) {
        return writers.computeIfAbsent(path(file), path -> {
            try {
                return new DuckDbWriter(path, checkpointThreshold, threads);
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        });
    }

    /**
     * Starts loading DuckDB's native library in the background: its JDBC driver loads it on first use (from beside the
     * jar, once {@link DuckDbNative} put it there), and the first batch would wait for it. Loaded by opening and closing
     * an in-memory database (nothing is written anywhere); a failure is left for the first batch to report.
     */
    @Override
    protected void doStart() throws Exception {
        super.doStart();
        Thread preload = new Thread(() -> {
            try (Connection c = DuckDbNative.connect("jdbc:duckdb:")) {
                LOG.debug("DuckDB's native library loaded ({})", c.getMetaData().getDatabaseProductVersion());
            } catch (SQLException | RuntimeException | LinkageError e) {
                LOG.debug("loading DuckDB's native library ahead of the first batch failed: {}", e.toString());
            }
        }, "pgingest-duckdb-preload");
        preload.setDaemon(true);
        preload.start();
    }

    @Override
    protected void doStop() throws Exception {
        Writers.closeAll(writers);
        super.doStop();
    }
}
