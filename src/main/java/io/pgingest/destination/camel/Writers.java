package io.pgingest.destination.camel;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Closes the cached writers of a component, each one even when another fails to close. */
final class Writers {

    private static final Logger LOG = LoggerFactory.getLogger(Writers.class);

    private Writers() {
    }

    static void closeAll(Map<?, ? extends AutoCloseable> writers) {
        for (AutoCloseable writer : writers.values()) {
            try {
                writer.close();
            } catch (Exception e) {
                LOG.warn("Closing {} failed: {}", writer, e.getMessage());
            }
        }
        writers.clear();
    }
}
