package io.pgingest.state;

import io.pgingest.state.StateStore.CounterRow;
import io.pgingest.state.StateStore.Counters;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The same state store behaviour against an H2 file and a PostgreSQL database. */
class JdbcStateStoreIT {

    enum Backend { H2, POSTGRES }

    private static TestDatabase postgres;

    @TempDir
    static Path dir;

    @BeforeAll
    static void createDatabase() {
        postgres = TestDatabase.create("state");
    }

    @AfterAll
    static void dropDatabase() {
        postgres.close();
    }

    private static String url(Backend backend) {
        return backend == Backend.H2 ? "jdbc:h2:file:" + dir.resolve("state").toAbsolutePath() : postgres.url();
    }

    private static JdbcStateStore open(Backend backend) {
        return backend == Backend.H2
                ? JdbcStateStore.open(url(backend), "sa", "")
                : JdbcStateStore.open(url(backend), TestDatabase.USER, TestDatabase.PASSWORD);
    }

    /** Each test works on its own pipeline, so tests share the database without seeing each other. */
    private static String newPipeline() {
        return "p-" + UUID.randomUUID();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void savedCursorIsReadBackReplacedAndDeleted(Backend backend) {
        String p = newPipeline();
        try (JdbcStateStore store = open(backend)) {
            assertThat(store.cursor(p, "public.orders")).as("no cursor before the first save").isEmpty();
            store.saveCursor(p, "public.orders", "{\"ts\":\"2024-01-01\"}");
            store.saveCursor(p, "public.orders", "{\"ts\":\"2024-02-01\"}");
            assertThat(store.cursor(p, "public.orders")).as("the last saved cursor wins").hasValue("{\"ts\":\"2024-02-01\"}");
            assertThat(store.cursor(p, "public.other")).as("cursors are per object").isEmpty();
            store.deleteCursor(p, "public.orders");
            assertThat(store.cursor(p, "public.orders")).as("a deleted cursor is gone").isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void largeCursorAndLongNamesAreStoredWhole(Backend backend) {
        String p = newPipeline() + "x".repeat(255 - 38);
        String object = "s".repeat(255) + "." + "t".repeat(255);
        String cursor = "c".repeat(200_000);
        try (JdbcStateStore store = open(backend)) {
            store.saveCursor(p, object, cursor);
            assertThat(store.cursor(p, object)).as("a 200 kB cursor is not truncated").hasValue(cursor);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void objectRecordsAreUpsertedAndListedByName(Backend backend) {
        String p = newPipeline();
        Instant at = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        ObjectRecord b = new ObjectRecord(p, "public.b", 42, ObjectStatus.INCLUDED, ObjectProgress.PENDING,
                "full-load", null, at);
        ObjectRecord a = new ObjectRecord(p, "public.a", 7, ObjectStatus.SKIPPED, ObjectProgress.PENDING,
                null, "unlogged", at);
        try (JdbcStateStore store = open(backend)) {
            store.saveObject(b);
            store.saveObject(a);
            ObjectRecord failed = new ObjectRecord(p, "public.b", 43, ObjectStatus.INCLUDED, ObjectProgress.FAILED,
                    "delta-timestamp:updated_at", "boom", at.plusSeconds(5));
            store.saveObject(failed);

            assertThat(store.objects(p)).as("records ordered by object, the second save of b replaced the first")
                    .containsExactly(a, failed);
            assertThat(store.object(p, "public.b")).hasValue(failed);
            assertThat(store.object(p, "public.missing")).isEmpty();
            assertThat(store.objects(newPipeline())).as("other pipelines see nothing").isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void countersAddUpPerObjectAndDay(Backend backend) {
        String p = newPipeline();
        LocalDate d1 = LocalDate.of(2024, 3, 1);
        LocalDate d2 = d1.plusDays(1);
        try (JdbcStateStore store = open(backend)) {
            store.addCounters(p, "public.b", d1, new Counters(10, 10, 0, 10));
            store.addCounters(p, "public.b", d1, new Counters(5, 3, 2, 0));
            store.addCounters(p, "public.a", d2, new Counters(1, 1, 0, 1));
            store.addCounters(p, "public.a", d1, new Counters(4, 4, 0, 0));

            assertThat(store.counters(p)).as("sums per (object, day), ordered by day then object").containsExactly(
                    new CounterRow(p, "public.a", d1, new Counters(4, 4, 0, 0)),
                    new CounterRow(p, "public.b", d1, new Counters(15, 13, 2, 10)),
                    new CounterRow(p, "public.a", d2, new Counters(1, 1, 0, 1)));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void stateSurvivesCloseAndReopen(Backend backend) {
        String p = newPipeline();
        LocalDate day = LocalDate.of(2024, 1, 31);
        ObjectRecord record = new ObjectRecord(p, "public.t", 1, ObjectStatus.PAUSED,
                ObjectProgress.STREAMING, null, null, Instant.now().truncatedTo(ChronoUnit.MILLIS));
        try (JdbcStateStore store = open(backend)) {
            store.saveCursor(p, "public.t", "42");
            store.saveObject(record);
            store.addCounters(p, "public.t", day, new Counters(1, 1, 0, 1));
        }
        try (JdbcStateStore reopened = open(backend)) {
            assertThat(reopened.cursor(p, "public.t")).as("cursor persisted").hasValue("42");
            assertThat(reopened.object(p, "public.t")).as("object record persisted").hasValue(record);
            reopened.addCounters(p, "public.t", day, new Counters(1, 1, 0, 1));
            assertThat(reopened.counters(p)).as("counters continue from the persisted values")
                    .containsExactly(new CounterRow(p, "public.t", day, new Counters(2, 2, 0, 2)));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void concurrentAddCountersLoseNoIncrement(Backend backend) throws Exception {
        String p = newPipeline();
        LocalDate day = LocalDate.of(2024, 5, 5);
        int threads = 4;
        int perThread = 200;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        // Two stores on PostgreSQL: also two connections racing for the first insert, as two instances would.
        try (JdbcStateStore store = open(backend); JdbcStateStore other = open(backend)) {
            List<Callable<Void>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                StateStore s = t % 2 == 0 ? store : other;
                work.add(() -> {
                    for (int i = 0; i < perThread; i++) {
                        s.addCounters(p, "public.hot", day, new Counters(1, 1, 0, 1));
                    }
                    return null;
                });
            }
            for (Future<Void> f : pool.invokeAll(work)) {
                f.get();
            }
            long n = (long) threads * perThread;
            assertThat(store.counters(p)).as("every concurrent increment counted exactly once")
                    .containsExactly(new CounterRow(p, "public.hot", day, new Counters(n, n, 0, n)));
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void pipelineRecordIsReadBackAndReplaced(Backend backend) {
        String p = newPipeline();
        Instant at = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        try (JdbcStateStore store = open(backend)) {
            assertThat(store.pipeline(p)).as("no record before the first save").isEmpty();
            store.savePipeline(new PipelineRecord(p, 123L, "first", at));
            PipelineRecord second = new PipelineRecord(p, null, "slot missing", at.plusSeconds(60));
            store.savePipeline(second);
            assertThat(store.pipeline(p)).as("the last save wins; an unknown retained size stays null").hasValue(second);
        }
    }

    /** Issue 3, delete pipeline: the pipeline's state goes, its billing counters stay, other pipelines are untouched. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void deletingAPipelineRemovesItsStateAndKeepsItsCounters(Backend backend) {
        String p = newPipeline();
        String other = newPipeline();
        Instant at = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        LocalDate day = LocalDate.of(2024, 6, 1);
        try (JdbcStateStore store = open(backend)) {
            for (String pipeline : List.of(p, other)) {
                store.saveObject(new ObjectRecord(pipeline, "public.a", 1, ObjectStatus.INCLUDED, ObjectProgress.STREAMING, null, null, at));
                store.saveObject(new ObjectRecord(pipeline, "public.b", 2, ObjectStatus.SKIPPED, ObjectProgress.PENDING, null, null, at));
                store.saveCursor(pipeline, "public.a", "7");
                store.savePipeline(new PipelineRecord(pipeline, 1L, null, at));
                store.addCounters(pipeline, "public.a", day, new Counters(3, 3, 0, 3));
            }
            assertThat(store.pipelines()).as("both pipelines are listed").contains(p, other);

            assertThat(store.deletePipeline(p)).as("two objects, one cursor and the pipeline record removed")
                    .isEqualTo(new StateStore.Removed(2, 1, true));
            assertThat(store.objects(p)).isEmpty();
            assertThat(store.cursor(p, "public.a")).isEmpty();
            assertThat(store.pipeline(p)).isEmpty();
            assertThat(store.pipelines()).as("the deleted pipeline is no longer listed").doesNotContain(p).contains(other);
            assertThat(store.counters(p)).as("billing counters are kept")
                    .containsExactly(new CounterRow(p, "public.a", day, new Counters(3, 3, 0, 3)));
            assertThat(store.objects(other)).as("the other pipeline keeps its objects").hasSize(2);
            assertThat(store.pipeline(other)).isPresent();
            assertThat(store.deletePipeline(p)).as("deleting again removes nothing").isEqualTo(new StateStore.Removed(0, 0, false));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void closedStoreRefusesCalls(Backend backend) {
        JdbcStateStore store = open(backend);
        store.close();
        assertThatThrownBy(() -> store.cursor("p", "o")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    /**
     * The server closed the store's connection since its last use (a restart, an administrator's
     * pg_terminate_backend): the next call goes on over a new connection. Before the twentieth session it failed
     * ("terminating connection"), and with it a scheduled run or a failed batch's FAILED record.
     */
    @org.junit.jupiter.api.Test
    void aConnectionTheServerClosedIsReplacedAtTheNextCall() throws Exception {
        try (JdbcStateStore store = open(Backend.POSTGRES)) {
            String pipeline = newPipeline();
            store.saveCursor(pipeline, "public.t", "1");
            try (Connection c = postgres.connect(); Statement s = c.createStatement()) {
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND pid <> pg_backend_pid()");
            }
            store.saveCursor(pipeline, "public.t", "2");
            assertThat(store.cursor(pipeline, "public.t")).contains("2");
        }
    }

    @org.junit.jupiter.api.Test
    void postgresTablesLiveInTheirOwnSchema() throws Exception {
        open(Backend.POSTGRES).close();
        try (Connection c = postgres.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT table_name FROM information_schema.tables"
                     + " WHERE table_schema = 'pgingest_state' ORDER BY table_name")) {
            List<String> names = new ArrayList<>();
            while (rs.next()) {
                names.add(rs.getString(1));
            }
            assertThat(names).as("state tables in schema pgingest_state")
                    .containsExactly("pgingest_counter", "pgingest_cursor", "pgingest_object", "pgingest_pipeline");
        }
    }

    @org.junit.jupiter.api.Test
    void unreachableDatabaseFailsWithTheUrl() {
        assertThatThrownBy(() -> JdbcStateStore.open(TestDatabase.url("no_such_db_" + UUID.randomUUID()
                .toString().substring(0, 8)), TestDatabase.USER, TestDatabase.PASSWORD))
                .isInstanceOf(StateStoreException.class)
                .hasMessageContaining("cannot open state store jdbc:postgresql://");
    }
}
