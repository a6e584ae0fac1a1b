package io.pgingest.destination.camel;

import static io.pgingest.destination.TestBatches.column;
import static io.pgingest.destination.TestBatches.row;
import static io.pgingest.destination.TestBatches.upsert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgingest.event.Column;
import io.pgingest.event.LogicalType;
import io.pgingest.testsupport.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Endpoint;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code pgingest-duckdb} and {@code pgingest-postgres} components resolved from their
 * service files (no registration code). camel-direct is not a dependency of the project, so
 * batches are sent straight to the endpoint URI with a producer template.
 */
class DestinationComponentsIT {

    private static final List<Column> COLUMNS = List.of(column("id", LogicalType.INT32), column("v", LogicalType.TEXT));

    @TempDir
    Path dir;

    @Test
    void duckDbEndpointWritesRowBatchBodiesAndClosesItsWriterOnStop() throws Exception {
        Path file = dir.resolve("sub/camel.duckdb");
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            ProducerTemplate template = camel.createProducerTemplate();
            template.sendBody("pgingest-duckdb:" + file, upsert("camel_t", COLUMNS, List.of("id"), 1, row(1, "a"), row(2, "b")));
            template.sendBody("pgingest-duckdb:" + file, upsert("camel_t", COLUMNS, List.of("id"), 2, row(2, "b2")));

            assertThatThrownBy(() -> template.sendBody("pgingest-duckdb:" + file, "not a batch"))
                    .as("a body that is not a RowBatch fails the exchange").isInstanceOf(CamelExecutionException.class);
        }
        // The component closed its writer when the context stopped, so the file can be opened again.
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT string_agg(v, ',' ORDER BY id) FROM camel_t")) {
            rs.next();
            assertThat(rs.getString(1)).as("both batches written through the endpoint").isEqualTo("a,b2");
        }
    }

    @Test
    void duckDbEndpointSetsTheFilesCheckpointThresholdAndRefusesBadOrConflictingOnes() throws Exception {
        Path file = dir.resolve("threshold.duckdb");
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            ProducerTemplate template = camel.createProducerTemplate();
            template.sendBody("pgingest-duckdb:" + file + "?checkpointThreshold=256MB",
                    upsert("camel_t", COLUMNS, List.of("id"), 1, row(1, "a")));
            assertThat(checkpointThreshold(camel, file)).as("the endpoint's threshold is the database's").isEqualTo("244.1 MiB");

            assertThatThrownBy(() -> camel.getEndpoint("pgingest-duckdb:" + file + "?checkpointThreshold=32MB"))
                    .as("two endpoints of one file with different thresholds")
                    .hasStackTraceContaining("another endpoint of the same file has checkpointThreshold=256MB");
            assertThatThrownBy(() -> camel.getEndpoint("pgingest-duckdb:" + dir.resolve("other.duckdb") + "?checkpointThreshold=lots"))
                    .as("a threshold that is not a size").hasStackTraceContaining("checkpointThreshold 'lots' is not a size");
        }
    }

    @Test
    void duckDbEndpointCheckpointsAt64MegabytesByDefault() throws Exception {
        Path file = dir.resolve("default-threshold.duckdb");
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            camel.createProducerTemplate().sendBody("pgingest-duckdb:" + file, upsert("camel_t", COLUMNS, List.of("id"), 1, row(1, "a")));
            assertThat(checkpointThreshold(camel, file)).as("DuckDB's own default is 16 MB").isEqualTo("61.0 MiB");
        }
    }

    @Test
    void duckDbEndpointSetsTheFilesThreadsOneFewerThanTheProcessorsByDefault() throws Exception {
        Path file = dir.resolve("threads.duckdb");
        Path other = dir.resolve("threads-default.duckdb");
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            ProducerTemplate template = camel.createProducerTemplate();
            template.sendBody("pgingest-duckdb:" + file + "?threads=3", upsert("camel_t", COLUMNS, List.of("id"), 1, row(1, "a")));
            assertThat(setting(camel, file, "threads")).as("the endpoint's threads are the database's").isEqualTo("3");
            template.sendBody("pgingest-duckdb:" + other, upsert("camel_t", COLUMNS, List.of("id"), 1, row(1, "a")));
            assertThat(setting(camel, other, "threads")).as("by default one fewer than the processors, at least 1")
                    .isEqualTo(String.valueOf(Math.max(1, Runtime.getRuntime().availableProcessors() - 1)));

            assertThatThrownBy(() -> camel.getEndpoint("pgingest-duckdb:" + file + "?threads=2"))
                    .as("two endpoints of one file with different threads")
                    .hasStackTraceContaining("another endpoint of the same file has checkpointThreshold=64MB&threads=3");
            assertThatThrownBy(() -> camel.getEndpoint("pgingest-duckdb:" + dir.resolve("zero.duckdb") + "?threads=0"))
                    .as("no thread at all").hasStackTraceContaining("has threads=0: give at least 1");
        }
    }

    /** DuckDB's checkpoint_threshold setting of {@code file}, read through the component's writer (opened by a batch). */
    private static String checkpointThreshold(CamelContext camel, Path file) throws Exception {
        return setting(camel, file, "checkpoint_threshold");
    }

    /** A DuckDB setting of {@code file}, read through the component's writer (opened by a batch). */
    private static String setting(CamelContext camel, Path file, String name) throws Exception {
        DuckDbComponent component = (DuckDbComponent) camel.getComponent("pgingest-duckdb");
        try (Connection c = component.writer(file.toString(), "unused: the writer is open", 1).database().duplicate();
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_setting('" + name + "')")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void postgresEndpointWritesIntoTheSchemaAndHidesThePassword() throws Exception {
        try (TestDatabase db = TestDatabase.create("dest_camel"); CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            String uri = "pgingest-postgres:" + db.name() + "?host=" + TestDatabase.HOST + "&port=" + TestDatabase.PORT
                    + "&user=" + TestDatabase.USER + "&password=s3cret-value&schema=landing";
            Endpoint endpoint = camel.getEndpoint(uri);
            assertThat(endpoint.toString()).as("the password never appears in the endpoint's text")
                    .doesNotContain("s3cret-value");
            assertThat(((PostgresEndpoint) endpoint).getSchema()).as("URI parameters bound to the endpoint").isEqualTo("landing");

            camel.createProducerTemplate().sendBody(endpoint, upsert("camel_t", COLUMNS, List.of("id"), 1, row(1, "a")));

            try (Connection c = db.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT v FROM landing.camel_t WHERE id = 1")) {
                assertThat(rs.next()).as("the row reached the schema named in the URI").isTrue();
                assertThat(rs.getString(1)).isEqualTo("a");
            }
            camel.stop();
        }
    }
}
