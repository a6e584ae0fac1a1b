package io.pgingest.it;

import io.pgingest.source.logical.ReplicationNames;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 3, heartbeats: a logical-replication pipeline whose tables get no changes must not make the server keep the
 * WAL that other databases (or unpublished tables) write. The real application streams (no {@code --once}) from one
 * database while the test writes WAL in another; the pipeline's slot must move past that WAL. Before the fix the slot
 * stayed at the pipeline's last change for ever (measured with scripts/measure-idle-slot.sh).
 */
class IdleSlotIT {

    /** Far more than the ~10-30 s the slot needs (status update every 10 s, running-xacts record every 15 s). */
    private static final Duration LIMIT = Duration.ofSeconds(150);

    @TempDir
    Path tmp;

    private TestDatabase db;
    private TestDatabase elsewhere;
    private PipelineRun run;
    private String slot;

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabase.create("idle");
        elsewhere = TestDatabase.create("busy");
        db.execute("CREATE TABLE quiet (id int PRIMARY KEY, v text)", "INSERT INTO quiet VALUES (1, 'one')");
        run = new PipelineRun(tmp);
        String pipeline = "idle_" + db.suffix();
        slot = ReplicationNames.slot(pipeline);
        run.pipeline(pipeline, db, "mode", "logical-replication");
    }

    @AfterEach
    void dropSlotsAndDatabases() {
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.name() + "'");
        db.close();
        elsewhere.close();
    }

    @Test
    void anIdlePipelinesSlotMovesPastWalWrittenInAnotherDatabase() throws Exception {
        assertThat(run.once().exitCode()).as("the first run creates the slot and loads the table").isZero();
        try (PipelineRun.Streaming streaming = run.stream()) {
            assertThat(PipelineRun.eventually(LIMIT, () -> Boolean.TRUE.equals(slotValue("active"))))
                    .as("the pipeline streams from its slot").isTrue();
            db.execute("INSERT INTO quiet VALUES (2, 'two')");
            BigDecimal change = currentLsn();
            assertThat(PipelineRun.eventually(LIMIT, () -> lsnAtLeast("confirmed_flush_lsn", change)))
                    .as("the change of the pipeline's table is confirmed (this worked before the fix too)").isTrue();

            // Now only another database writes: a few MB of WAL the pipeline has no interest in.
            elsewhere.execute("CREATE TABLE filler AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 20000) g");
            BigDecimal target = currentLsn();
            boolean confirmed = PipelineRun.eventually(LIMIT, () -> lsnAtLeast("confirmed_flush_lsn", target));
            boolean released = PipelineRun.eventually(LIMIT, () -> lsnAtLeast("restart_lsn", target));
            assertThat(confirmed).as("the idle slot confirms the WAL written in another database (its keepalive position)")
                    .isTrue();
            assertThat(released).as("so the server may remove that WAL: restart_lsn moved past it").isTrue();
            assertThat(streaming.stop()).as("the streaming application stops cleanly").isZero();
        }

        db.execute("INSERT INTO quiet VALUES (3, 'three')");
        assertThat(run.once().exitCode()).as("a run resuming after the keepalive-confirmed position succeeds").isZero();
        assertThat(run.duck("SELECT id FROM quiet ORDER BY id")).as("no change was lost or skipped by the confirmations")
                .containsExactly(List.of(1), List.of(2), List.of(3));
    }

    /**
     * A heartbeatQuery runs on the source at every heartbeat; the logical decoding message it may emit
     * (pg_logical_emit_message) is not replicated and does not disturb the pipeline.
     */
    @Test
    void aHeartbeatQueryRunsOnTheSourceAndItsMessagesAreNotReplicated() throws Exception {
        db.execute("CREATE SCHEMA ops", "CREATE TABLE ops.beats (at timestamptz)");
        run.pipeline("idle_" + db.suffix(), db, "mode", "logical-replication", "heartbeatQuery",
                "WITH m AS (SELECT pg_logical_emit_message(false, 'pgingest_heartbeat', 'beat'))"
                        + " INSERT INTO ops.beats SELECT now() FROM m");
        assertThat(run.once().exitCode()).isZero();
        db.execute("INSERT INTO quiet VALUES (2, 'two')");
        assertThat(run.once().exitCode()).as("a run with heartbeat messages in the stream succeeds").isZero();
        assertThat((Long) PipelineRun.pg(db, "SELECT count(*) FROM ops.beats").get(0).get(0))
                .as("the query ran at the heartbeats").isPositive();
        assertThat(run.duck("SELECT id FROM quiet ORDER BY id")).as("the table's rows and change arrived")
                .containsExactly(List.of(1), List.of(2));
        assertThat(run.duck("SELECT table_name FROM information_schema.tables ORDER BY table_name"))
                .as("nothing but the published table reached the destination").containsExactly(List.of("quiet"));
    }

    private Object slotValue(String column) throws Exception {
        List<List<Object>> rows = PipelineRun.pg(db, "SELECT " + column + " FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
        return rows.isEmpty() ? null : rows.get(0).get(0);
    }

    /** Whether the slot's LSN column is at or past {@code lsn} (both as numbers). */
    private boolean lsnAtLeast(String column, BigDecimal lsn) throws Exception {
        List<List<Object>> rows = PipelineRun.pg(db, "SELECT " + column + " - '0/0'::pg_lsn FROM pg_replication_slots"
                + " WHERE slot_name = '" + slot + "'");
        return !rows.isEmpty() && rows.get(0).get(0) != null && ((BigDecimal) rows.get(0).get(0)).compareTo(lsn) >= 0;
    }

    private BigDecimal currentLsn() throws Exception {
        return (BigDecimal) PipelineRun.pg(db, "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").get(0).get(0);
    }
}
