package io.pgingest.it;

import io.pgingest.source.logical.ReplicationNames;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 3, operations: {@code --status} and {@code --delete-pipeline NAME} of the real application, after real runs
 * that created the logical-replication pipeline's slot, publication, offset table and object states (H2 state file).
 */
class PipelineOperationsIT {

    @TempDir
    Path tmp;

    private TestDatabase db;
    private PipelineRun run;
    private String logical;
    private String slot;

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabase.create("ops");
        db.execute("CREATE TABLE items (id int PRIMARY KEY, name text)", "INSERT INTO items VALUES (1, 'one'), (2, 'two')");
        run = new PipelineRun(tmp);
        logical = "ops_" + db.suffix();
        slot = ReplicationNames.slot(logical);
        run.pipeline(logical, db, "mode", "logical-replication");
        // a table-mode pipeline beside it, into its own DuckDB file
        run.pipelineTo("polled_" + db.suffix(), db, "pgingest-duckdb:" + tmp.resolve("polled.duckdb"));
    }

    @AfterEach
    void dropSlotsAndDatabase() {
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.name() + "'");
        db.close();
    }

    @Test
    void statusListsEveryPipelinesObjectsAndTheSlotsRetainedWal() throws Exception {
        assertThat(run.once().exitCode()).isZero();
        db.execute("INSERT INTO items VALUES (3, 'three')");
        assertThat(run.once().exitCode()).as("a second run: the slot exists when the run starts").isZero();
        assertThat(pipelineRecord()).as("the running pipeline recorded the slot's retained WAL in the state store")
                .startsWith("replication slot " + slot + " (");

        PipelineRun.Output status = run.command("--status");
        assertThat(status.exitCode()).as(status.stderr()).isZero();
        assertThat(line(status.stdout(), logical + " ")).as("the logical pipeline's row: mode, slot, inactive, retained WAL")
                .contains("logical-replication", slot, "| no ", "not streaming").containsPattern("\\| +[0-9.]+ (B|kB|MB|GB) +\\|");
        assertThat(line(status.stdout(), "polled_")).as("the table-mode pipeline's row has no slot").contains("| table ");
        assertThat(status.stdout()).as("the objects of both pipelines with their states")
                .containsPattern(logical + " +\\| public\\.items +\\| INCLUDED +\\| STREAMING")
                .containsPattern("polled_\\w+ +\\| public\\.items +\\| INCLUDED +\\| SCHEDULED");
    }

    /**
     * A pipeline renamed in its route file: the old name's slot still retains WAL, and --status shows it on the old
     * name's row. Before the twentieth session that row had no slot, and nothing said the slot retained WAL.
     */
    @Test
    void statusShowsTheSlotOfAPipelineNoRouteFileDeclaresAnyMore() throws Exception {
        assertThat(run.once().exitCode()).isZero();
        java.nio.file.Files.delete(tmp.resolve("routes").resolve(logical + ".camel.yaml"));
        run.pipeline("renamed_" + db.suffix(), db, "mode", "logical-replication");
        PipelineRun.Output status = run.command("--status");
        assertThat(status.exitCode()).as(status.stderr()).isZero();
        assertThat(line(status.stdout(), logical + " ")).as("the old name's row: its slot, inactive, the WAL it retains")
                .contains("not in the route files", slot, "| no ", "retains WAL until it is dropped")
                .containsPattern("\\| +[0-9.]+ (B|kB|MB|GB) +\\|");
    }

    /**
     * A second run of a pipeline that streams elsewhere waits for its slot for retrySeconds, saying so, then fails saying
     * which process holds the slot, without loading or writing anything. Before the twentieth session it repeated
     * Debezium's "Failed to start replication stream" warnings for several times retrySeconds.
     */
    @Test
    void aSecondRunOfAStreamingPipelineFailsSayingItsSlotIsInUse() throws Exception {
        run.pipeline(logical, db, "mode", "logical-replication", "retrySeconds", "5");
        assertThat(run.once().exitCode()).isZero();
        try (PipelineRun.Streaming streaming = run.stream()) {
            assertThat(PipelineRun.eventually(Duration.ofSeconds(120), () -> slotActive()))
                    .as("the pipeline streams from its slot").isTrue();
            java.nio.file.Files.delete(tmp.resolve("routes").resolve("polled_" + db.suffix() + ".camel.yaml"));
            long started = System.nanoTime();
            PipelineRun.Result second = run.once();
            assertThat(second.exitCode()).as("the second run fails: " + second.stderr()).isEqualTo(1);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("after about retrySeconds, not several times it")
                    .isLessThan(Duration.ofSeconds(60));
            assertThat(h2("SELECT progress FROM pgingest_object WHERE pipeline = '" + logical + "'"))
                    .as("the streaming pipeline's objects are left as they were").containsOnly("STREAMING");
            assertThat(streaming.stop()).isZero();
        }
    }

    @Test
    void deleteIsRefusedWhileThePipelineRuns() throws Exception {
        assertThat(run.once().exitCode()).isZero();
        try (PipelineRun.Streaming streaming = run.stream()) {
            assertThat(PipelineRun.eventually(Duration.ofSeconds(120), () -> slotActive()))
                    .as("the pipeline streams from its slot").isTrue();
            PipelineRun.Output refused = run.command("--delete-pipeline", logical);
            assertThat(refused.exitCode()).as("refused: exit code 4").isEqualTo(4);
            assertThat(refused.stderr()).as("one line saying why and what to do").contains("refused", slot, "is active",
                    "stop it", "Nothing was deleted");
            assertThat(PipelineRun.pg(db, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))
                    .as("the slot is still there").containsExactly(List.of(1L));
            assertThat(streaming.stop()).isZero();
        }
        assertThat(objects(logical)).as("the state was not touched").isNotEmpty();
    }

    @Test
    void deleteDropsSlotPublicationOffsetsAndStateAndKeepsBillingCounters() throws Exception {
        assertThat(run.once().exitCode()).isZero();
        db.execute("INSERT INTO items VALUES (3, 'three')");
        assertThat(run.once().exitCode()).isZero();
        assertThat(counters(logical)).as("the runs counted events").isNotEmpty();

        PipelineRun.Output deleted = run.command("--delete-pipeline", logical);
        assertThat(deleted.exitCode()).as(deleted.stderr()).isZero();
        assertThat(deleted.stdout()).contains("dropped replication slot " + slot, "dropped publication " + slot,
                "dropped offset table " + ReplicationNames.offsetTable(logical), "billing counters kept",
                "remove its route file");
        assertThat(PipelineRun.pg(db, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))
                .as("the slot is dropped").containsExactly(List.of(0L));
        assertThat(PipelineRun.pg(db, "SELECT count(*) FROM pg_publication WHERE pubname = '" + slot + "'"))
                .as("the publication is dropped").containsExactly(List.of(0L));
        assertThat(h2("SELECT count(*) FROM information_schema.tables WHERE lower(table_name) = '"
                + ReplicationNames.offsetTable(logical) + "'")).as("the offset table is dropped").containsExactly("0");
        assertThat(objects(logical)).as("the object records are removed").isEmpty();
        assertThat(counters(logical)).as("the billing counters are kept").isNotEmpty();
        assertThat(objects("polled_" + logical.substring(4))).as("the other pipeline keeps its state").isNotEmpty();

        PipelineRun.Output again = run.command("--delete-pipeline", logical);
        assertThat(again.exitCode()).as("deleting again finds nothing left and succeeds").isZero();
        assertThat(again.stdout()).contains("no replication slot " + slot);

        assertThat(run.once().exitCode()).as("the route file, still there, starts the pipeline again from scratch").isZero();
        assertThat(run.duck("SELECT id FROM items ORDER BY id")).containsExactly(List.of(1), List.of(2), List.of(3));
    }

    @Test
    void deleteOfAnUnknownPipelineOrWithoutANameIsRefused() {
        PipelineRun.Output unknown = run.command("--delete-pipeline", "no_such_pipeline");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.stderr()).as("names the pipelines the route files declare")
                .contains("no pipeline of that name", logical, "polled_");

        PipelineRun.Output noName = run.command("--delete-pipeline");
        assertThat(noName.exitCode()).isEqualTo(2);
        assertThat(noName.stderr()).contains("--delete-pipeline needs the name");
    }

    private boolean slotActive() throws SQLException {
        return PipelineRun.pg(db, "SELECT active FROM pg_replication_slots WHERE slot_name = '" + slot + "'")
                .equals(List.of(List.of(true)));
    }

    /** The line of a status output starting with the text (after the table's leading space). */
    private static String line(String output, String start) {
        return output.lines().filter(l -> l.startsWith(" " + start)).findFirst().orElse("(no line starting with " + start + ")");
    }

    private String pipelineRecord() throws SQLException {
        List<String> rows = h2("SELECT message FROM pgingest_pipeline WHERE pipeline = '" + logical + "'");
        return rows.isEmpty() ? "(no record)" : rows.get(0);
    }

    private List<String> objects(String pipeline) throws SQLException {
        return h2("SELECT object FROM pgingest_object WHERE pipeline = '" + pipeline + "'");
    }

    private List<String> counters(String pipeline) throws SQLException {
        return h2("SELECT object FROM pgingest_counter WHERE pipeline = '" + pipeline + "'");
    }

    /** The first column of a query on the runs' H2 state file. */
    private List<String> h2(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + tmp.resolve("state"), "sa", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }
}
