package io.pgingest.source.logical;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.state.JdbcStateStore;
import io.pgingest.state.PipelineRecord;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 3, WAL retained by the slot: {@link SlotMonitor} against a real slot that retains WAL (created here and never
 * read, as the slot of a stopped or lagging pipeline), with the state store in an H2 file.
 */
class SlotMonitorIT {

    private static final long MB = 1024 * 1024;

    @TempDir
    Path tmp;

    private TestDatabase db;
    private JdbcStateStore store;
    private String pipeline;
    private String slot;
    private ListAppender<ILoggingEvent> log;

    @BeforeEach
    void setUp() {
        db = TestDatabase.create("slotmon");
        pipeline = "mon_" + db.name().substring(db.name().length() - 8);
        slot = ReplicationNames.slot(pipeline);
        store = JdbcStateStore.open("jdbc:h2:file:" + tmp.resolve("state"), "sa", "");
        log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(SlotMonitor.class)).addAppender(log);
    }

    @AfterEach
    void tearDown() {
        ((Logger) LoggerFactory.getLogger(SlotMonitor.class)).detachAppender(log);
        store.close();
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
        db.close();
    }

    private PipelineSettings settings(String... extra) {
        Map<String, String> options = new HashMap<>(Map.of("mode", "logical-replication", "host", TestDatabase.HOST,
                "port", Integer.toString(TestDatabase.PORT), "database", db.name(), "user", TestDatabase.USER,
                "password", TestDatabase.PASSWORD));
        for (int i = 0; i < extra.length; i += 2) {
            options.put(extra[i], extra[i + 1]);
        }
        return PipelineSettings.parse(pipeline, options);
    }

    /** A slot that nobody reads, then a few MB of WAL: all of it retained. */
    private void slotRetainingWal() {
        db.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')",
                "CREATE TABLE filler AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 20000) g");
    }

    @Test
    void aboveTheThresholdTheRetainedWalIsRecordedAndAWarningNamesTheSlotAndTheRemedy() throws Exception {
        slotRetainingWal();
        SlotState s = new SlotMonitor(settings("walRetentionWarningMb", "1"), store).check().orElseThrow();

        assertThat(s.retainedBytes()).as("the WAL written since the slot was created is retained").isGreaterThan(MB);
        assertThat(s.active()).as("nobody streams from the slot").isFalse();
        PipelineRecord record = store.pipeline(pipeline).orElseThrow();
        assertThat(record.walRetainedBytes()).as("the retained bytes are in the pipeline's record")
                .isGreaterThanOrEqualTo(s.retainedBytes());
        assertThat(record.message()).as("the record says the threshold was passed")
                .contains(slot, "above walRetentionWarningMb (1 MB)");
        List<String> warnings = log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(warnings).as("one WARN line naming the slot, the retained WAL and what to do").singleElement()
                .satisfies(w -> assertThat(w).contains(pipeline, slot, s.retainedText(), "--delete-pipeline " + pipeline));
    }

    @Test
    void belowTheThresholdTheRetainedWalIsLoggedAndRecordedWithoutWarning() throws Exception {
        slotRetainingWal();
        SlotState s = new SlotMonitor(settings(), store).check().orElseThrow();

        assertThat(store.pipeline(pipeline).orElseThrow().message()).as("the default threshold is 1024 MB")
                .isEqualTo("replication slot " + slot + " (inactive) retains " + s.retainedText() + " of WAL");
        assertThat(log.list).as("logged at INFO, no warning").extracting(ILoggingEvent::getLevel).containsExactly(Level.INFO);
    }

    @Test
    void withoutASlotNothingIsRecorded() throws Exception {
        assertThat(new SlotMonitor(settings(), store).check()).as("no slot yet").isEmpty();
        assertThat(store.pipeline(pipeline)).as("no record for a slot that does not exist").isEmpty();
    }
}
