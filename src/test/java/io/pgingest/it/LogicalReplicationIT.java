package io.pgingest.it;

import io.pgingest.state.JdbcStateStore;
import io.pgingest.state.ObjectProgress;
import io.pgingest.state.StateStore;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The logical-replication mode end to end: the real application with {@code --once} over a real
 * PostgreSQL (wal_level=logical) into DuckDB. Each test has its own database, and drops the
 * replication slots it made.
 */
class LogicalReplicationIT {

    @TempDir
    Path tmp;

    private TestDatabase db;
    private PipelineRun run;
    private String pipelineName;

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabase.create("logical");
        db.execute("CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), seen timestamptz)",
                "INSERT INTO items VALUES (1, 'one', 1.10, '2024-01-01 10:00:00+02'), (2, 'two', 2.20, NULL),"
                        + " (3, 'three', 3.30, NULL)");
        run = new PipelineRun(tmp);
    }

    @AfterEach
    void dropSlotsAndDatabase() throws Exception {
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.name() + "'");
        assertThat(PipelineRun.pg(db, "SELECT slot_name FROM pg_replication_slots WHERE database = '" + db.name() + "'"))
                .as("no replication slot of the test is left behind").isEmpty();
        db.close();
    }

    private void pipeline(String... extra) throws Exception {
        String[] all = new String[extra.length + 2];
        all[0] = "mode";
        all[1] = "logical-replication";
        System.arraycopy(extra, 0, all, 2, extra.length);
        // Slots are per server: a name unique to this test's database keeps concurrent runs of this class apart
        pipelineName = "shop_" + db.suffix();
        run.pipeline(pipelineName, db, all);
    }

    @Test
    void snapshotThenStreamsInsertsUpdatesAndSoftDeletes() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).as("the snapshot run succeeds").isZero();
        assertThat(PipelineRun.pg(db, "SELECT pubviaroot FROM pg_publication WHERE pubname = '"
                + io.pgingest.source.logical.ReplicationNames.slot(pipelineName) + "'"))
                .as("the publication publishes partitions' changes as their partitioned table's").containsExactly(List.of(true));
        assertThat(run.duck("SELECT id, name, price, _pgingest_deleted FROM items ORDER BY id")).as("the snapshot arrived")
                .containsExactly(List.of(1, "one", new java.math.BigDecimal("1.10"), false),
                        List.of(2, "two", new java.math.BigDecimal("2.20"), false),
                        List.of(3, "three", new java.math.BigDecimal("3.30"), false));

        db.execute("INSERT INTO items VALUES (4, 'four', 4.40, NULL)",
                "UPDATE items SET name = 'TWO' WHERE id = 2",
                "UPDATE items SET name = 'four!' WHERE id = 4",
                "DELETE FROM items WHERE id = 3");
        assertThat(run.once().exitCode()).as("the streaming run succeeds").isZero();
        assertThat(run.duck("SELECT id, name, _pgingest_deleted FROM items ORDER BY id"))
                .as("inserts and updates applied (the last change of a key wins); the delete is soft and keeps the row's values")
                .containsExactly(List.of(1, "one", false), List.of(2, "TWO", false), List.of(3, "three", true),
                        List.of(4, "four!", false));
        assertThat(run.duck("SELECT CAST(seen AS VARCHAR) FROM items WHERE id = 1")).as("timestamptz in UTC")
                .containsExactly(List.of("2024-01-01 08:00:00+00"));
    }

    @Test
    void aSecondRunResumesFromTheCommittedOffsetWithoutDuplicatesOrLoss() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).isZero();
        assertThat(offsetRows()).as("the offset is in the H2 state file's table pgingest_offsets_<pipeline>, as JSON text")
                .singleElement().satisfies(row -> assertThat(row.get(1)).contains("lsn"));
        assertThat(tmp.resolve("state-offsets")).as("no offset file beside the state file").doesNotExist();
        db.execute("INSERT INTO items VALUES (5, 'five', 5.50, NULL)");
        assertThat(run.once().exitCode()).isZero();
        long loadedAt5 = ((Number) run.duck("SELECT epoch_ms(_pgingest_loaded_at) FROM items WHERE id = 5").get(0).get(0)).longValue();
        assertThat(run.once().exitCode()).as("a run with nothing new succeeds").isZero();
        db.execute("INSERT INTO items VALUES (6, 'six', 6.60, NULL)");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT id FROM items ORDER BY id")).as("every row once")
                .containsExactly(List.of(1), List.of(2), List.of(3), List.of(5), List.of(6));
        assertThat(((Number) run.duck("SELECT epoch_ms(_pgingest_loaded_at) FROM items WHERE id = 5").get(0).get(0)).longValue())
                .as("row 5 was not replayed by later runs: the offset was committed").isEqualTo(loadedAt5);
    }

    @Test
    void anInterruptedLoadOfATableWithoutKeyIsDoneAgainWithoutDuplicates() throws Exception {
        db.execute("CREATE TABLE bag (n int, v text)", "ALTER TABLE bag REPLICA IDENTITY FULL",
                "INSERT INTO bag SELECT g, 'v' || g FROM generate_series(1, 3000) g");
        try (TestDatabase dest = TestDatabase.create("bagdest")) {
            // The destination refuses n = 2200: the load fails on its 5th chunk of 500 rows, after 4 were committed.
            dest.execute("CREATE TABLE bag (n int CONSTRAINT no_2200 CHECK (n <> 2200), v text)");
            pipelineName = "bag_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication", "objects",
                    "public.bag", "batchSize", "500");
            assertThat(run.once().exitCode()).as("the load fails at n = 2200").isEqualTo(1);
            assertThat(PipelineRun.pg(dest, "SELECT count(*) FROM bag")).as("the chunks before the failing one were committed")
                    .containsExactly(List.of(2000L));

            dest.execute("ALTER TABLE bag DROP CONSTRAINT no_2200");
            PipelineRun.Result second = run.once();
            assertThat(second.exitCode()).as(second.stderr()).isZero();
            assertThat(PipelineRun.pg(dest, "SELECT count(*), count(DISTINCT n), min(n), max(n) FROM bag"))
                    .as("the load was done again: every source row once, none of the first attempt's left")
                    .containsExactly(List.of(3000L, 3000L, 1, 3000));

            db.execute("INSERT INTO bag VALUES (3001, 'new')", "DELETE FROM bag WHERE n = 5",
                    "UPDATE bag SET v = 'changed' WHERE n = 7");
            assertThat(run.once().exitCode()).isZero();
            // a table without key is an append log: each change is a row (a delete with _pgingest_deleted)
            assertThat(PipelineRun.pg(dest, "SELECT n, v, _pgingest_deleted FROM bag WHERE n IN (3001, 5, 7)"
                    + " ORDER BY n, _pgingest_position")).as("and it streams")
                    .containsExactly(List.of(5, "v5", false), List.of(5, "v5", true), List.of(7, "v7", false),
                            List.of(7, "changed", false), List.of(3001, "new", false));
        }
    }

    /**
     * A table without key loaded again (Restart Historical Load, requested while the pipeline is stopped) after rows
     * were inserted: the load reads them, and the slot holds their inserts, which were appended too (each row twice)
     * before the load's snapshot was kept: changes of transactions it sees are in the loaded rows already.
     */
    @Test
    void aKeylessTableLoadedAgainGetsTheChangesTheSlotHeldBeforeTheLoadOnce() throws Exception {
        db.execute("CREATE TABLE bag (n int, v text)", "ALTER TABLE bag REPLICA IDENTITY FULL",
                "INSERT INTO bag SELECT g, 'v' || g FROM generate_series(1, 3) g");
        pipeline("objects", "public.bag");
        assertThat(run.once().exitCode()).isZero();
        PipelineRun.Output requested = run.command("--restart-historical-load", pipelineName, "public.bag");
        assertThat(requested.exitCode()).as(requested.stderr()).isZero();
        db.execute("INSERT INTO bag VALUES (4, 'four')", "INSERT INTO bag VALUES (5, 'five')");

        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT n, count(*) FROM bag WHERE NOT _pgingest_deleted GROUP BY n ORDER BY n"))
                .as("every row once").containsExactly(List.of(1, 1L), List.of(2, 1L), List.of(3, 1L), List.of(4, 1L), List.of(5, 1L));

        db.execute("INSERT INTO bag VALUES (6, 'six')");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT count(*) FROM bag WHERE n = 6")).as("later changes are appended").containsExactly(List.of(1L));
    }

    /**
     * A TRUNCATE the slot holds from before a load that replaces a table's rows (Restart Historical Load requested while
     * the pipeline was stopped) is in the loaded rows already: streamed after the load, it soft-deleted every loaded row
     * (found by the twenty-second session's probe: 0 live rows, keyed and without key). It is left out, like the other
     * changes of transactions the load saw; into DuckDB and into PostgreSQL.
     */
    @Test
    void aTruncateTheSlotHeldBeforeATableWasLoadedAgainKeepsTheLoadedRows() throws Exception {
        db.execute("CREATE TABLE bag (n int, v text)", "ALTER TABLE bag REPLICA IDENTITY FULL",
                "INSERT INTO bag SELECT g, 'v' || g FROM generate_series(1, 3) g");
        try (TestDatabase dest = TestDatabase.create("dest")) {
            pipeline("objects", "public.items\npublic.bag");
            run.pipelineTo(pipelineName + "_pg", db, PipelineRun.postgresDestination(dest), "mode", "logical-replication",
                    "objects", "public.items\npublic.bag");
            PipelineRun.Result loaded = run.once();
            assertThat(loaded.exitCode()).as(loaded.stderr()).isZero();
            db.execute("BEGIN; TRUNCATE items, bag; INSERT INTO items (id, name) VALUES (10, 'ten'), (11, 'eleven');"
                    + " INSERT INTO bag VALUES (20, 'twenty'); COMMIT", "INSERT INTO items (id, name) VALUES (12, 'twelve')");
            for (String pipeline : List.of(pipelineName, pipelineName + "_pg")) {
                for (String table : List.of("public.items", "public.bag")) {
                    PipelineRun.Output requested = run.command("--restart-historical-load", pipeline, table);
                    assertThat(requested.exitCode()).as(requested.stderr()).isZero();
                }
            }
            PipelineRun.Result reloaded = run.once();
            assertThat(reloaded.exitCode()).as(reloaded.stderr()).isZero();
            List<List<Object>> items = List.of(List.of(10, "ten"), List.of(11, "eleven"), List.of(12, "twelve"));
            assertThat(run.duck("SELECT id, name FROM items WHERE NOT _pgingest_deleted ORDER BY id")).as("DuckDB").isEqualTo(items);
            assertThat(PipelineRun.pg(dest, "SELECT id, name FROM items WHERE NOT _pgingest_deleted ORDER BY id")).as("PostgreSQL")
                    .isEqualTo(items);
            assertThat(run.duck("SELECT n, v FROM bag WHERE NOT _pgingest_deleted")).as("DuckDB, without key")
                    .containsExactly(List.of(20, "twenty"));
            assertThat(PipelineRun.pg(dest, "SELECT n, v FROM bag WHERE NOT _pgingest_deleted")).as("PostgreSQL, without key")
                    .containsExactly(List.of(20, "twenty"));
        }
    }

    @Test
    void aKeylessLoadDoneAgainOnAnIdleSourceStillReplacesTheFirstAttempt() throws Exception {
        // Nothing writes WAL between the two attempts (DuckDB destination, no source writes, the first attempt fails
        // fast): the WAL position is the same, and the second attempt must still drop the first one's rows.
        db.execute("CREATE TABLE bag (n int, v text)", "ALTER TABLE bag REPLICA IDENTITY FULL",
                "INSERT INTO bag SELECT g, 'v' || g FROM generate_series(1, 3000) g");
        run.duckExecute("CREATE TABLE bag (n INTEGER CHECK (n <> 600), v VARCHAR)");
        pipeline("objects", "public.bag", "batchSize", "500");
        assertThat(run.once().exitCode()).as("the load fails at n = 600").isEqualTo(1);
        assertThat(run.duckCount("bag")).as("the first chunk was committed").isEqualTo(500);
        run.duckExecute("CREATE TABLE fixed AS SELECT * FROM bag"); // DuckDB cannot drop a CHECK constraint
        run.duckExecute("DROP TABLE bag");
        run.duckExecute("ALTER TABLE fixed RENAME TO bag");
        PipelineRun.Result second = run.once();
        assertThat(second.exitCode()).as(second.stderr()).isZero();
        assertThat(run.duck("SELECT count(*), count(DISTINCT n) FROM bag"))
                .as("every row once; positions %s", run.duck("SELECT _pgingest_position, count(*) FROM bag GROUP BY 1"))
                .containsExactly(List.of(3000L, 3000L));
    }

    @Test
    void anInterruptedHistoricalLoadGoesOnFromTheKeyItReachedAndMissesNoChange() throws Exception {
        db.execute("CREATE TABLE big (id int PRIMARY KEY, v text)",
                "INSERT INTO big SELECT g, 'v' || g FROM generate_series(1, 3000) g");
        // The destination refuses row 2200: the load fails on its 5th page of 500 rows, after 4 pages were committed.
        run.duckExecute("CREATE TABLE big (id INTEGER CHECK (id <> 2200), v VARCHAR)");
        pipeline("objects", "public.big", "batchSize", "500");
        PipelineRun.Result failed = run.once();
        assertThat(failed.exitCode()).as("the load fails at row 2200").isEqualTo(1);
        assertThat(run.duckCount("big")).as("the pages before the failing one were committed").isEqualTo(2000);
        long firstLoad = ((Number) run.duck("SELECT max(epoch_ms(_pgingest_loaded_at)) FROM big").get(0).get(0)).longValue();

        // changes while the pipeline is down, to loaded and to not yet loaded rows
        db.execute("UPDATE big SET v = 'changed' WHERE id IN (10, 2900)", "DELETE FROM big WHERE id = 20",
                "INSERT INTO big VALUES (3001, 'new')");
        // the destination is fixed (DuckDB cannot drop a CHECK constraint: the table is copied without it)
        run.duckExecute("CREATE TABLE fixed AS SELECT * FROM big");
        run.duckExecute("DROP TABLE big");
        run.duckExecute("ALTER TABLE fixed RENAME TO big");
        assertThat(run.once().exitCode()).as("the load goes on and the stream follows").isZero();

        assertThat(run.duck("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM big WHERE NOT _pgingest_deleted"))
                .as("every row once").containsExactly(List.of(3000L, 3000L, 1, 3001));
        assertThat(run.duck("SELECT id, v, _pgingest_deleted FROM big WHERE id IN (10, 20, 2900, 3001) ORDER BY id"))
                .as("changes made while the load was interrupted arrived")
                .containsExactly(List.of(10, "changed", false), List.of(20, "v20", true), List.of(2900, "changed", false),
                        List.of(3001, "new", false));
        assertThat(run.duck("SELECT count(*) FROM big WHERE id <= 2000 AND id NOT IN (10, 20)"
                + " AND epoch_ms(_pgingest_loaded_at) <= " + firstLoad))
                .as("the 2000 rows committed before the failure were not loaded again").containsExactly(List.of(1998L));
        assertThat(PipelineRun.pg(db, "SELECT 1")).isNotEmpty();
    }

    @Test
    void restartHistoricalLoadOfAStoppedPipelineLoadsTheTableAgainAtItsNextStart() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).isZero();
        // the destination lost a row and holds a wrong value (restored from an old backup, say)
        run.duckExecute("DELETE FROM items WHERE id = 2");
        run.duckExecute("UPDATE items SET name = 'wrong' WHERE id = 1");
        // and holds a row the source no longer has, whose delete was lost
        run.duckExecute("INSERT INTO items (id, name, _pgingest_deleted, _pgingest_position, _pgingest_database)"
                + " SELECT 9, 'lost delete', false, 1, _pgingest_database FROM items WHERE id = 1");
        db.execute("UPDATE items SET price = 3.33 WHERE id = 3");
        PipelineRun.Output unknown = run.command("--restart-historical-load", pipelineName, "public.nope");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.stderr()).contains("has no object public.nope").contains("public.items");
        PipelineRun.Output requested = run.command("--restart-historical-load", pipelineName, "public.items");
        assertThat(requested.exitCode()).as(requested.stderr()).isZero();
        assertThat(requested.stdout()).contains("next start");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT id, name, price, _pgingest_deleted FROM items ORDER BY id"))
                .as("the table was loaded again, and the change streamed; the row the source lacks soft-deleted (before the"
                        + " twentieth session it stayed live)")
                .containsExactly(List.of(1, "one", new java.math.BigDecimal("1.10"), false),
                        List.of(2, "two", new java.math.BigDecimal("2.20"), false),
                        List.of(3, "three", new java.math.BigDecimal("3.33"), false),
                        java.util.Arrays.asList(9, "lost delete", null, true));
        try (StateStore state = stateStore()) {
            assertThat(state.object(pipelineName, "public.items").orElseThrow().progress()).isEqualTo(ObjectProgress.STREAMING);
        }
    }

    /**
     * Partitions attached and detached (while the pipeline was stopped, then while it streams): no change in the WAL tells
     * it, yet the attached rows belong to the table now and the detached ones no longer do. The table is loaded again
     * and the rows it no longer holds are soft-deleted. Before the twentieth session the attached rows never arrived and
     * the detached ones stayed live.
     */
    @Test
    void partitionsAttachedAndDetachedReachThePartitionedTable() throws Exception {
        db.execute("CREATE TABLE m (id int, k int, v text, PRIMARY KEY (id, k)) PARTITION BY RANGE (k)",
                "CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (10)",
                "CREATE TABLE m2 PARTITION OF m FOR VALUES FROM (10) TO (20)",
                "INSERT INTO m VALUES (1, 1, 'a'), (2, 11, 'b')",
                "CREATE TABLE m3 (id int, k int, v text, PRIMARY KEY (id, k))", "INSERT INTO m3 VALUES (3, 21, 'c'), (4, 22, 'd')");
        pipeline("objects", "public.m");
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("ALTER TABLE m ATTACH PARTITION m3 FOR VALUES FROM (20) TO (30)", "ALTER TABLE m DETACH PARTITION m2",
                "UPDATE m SET v = 'A' WHERE id = 1");
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as("the run succeeds: " + result.stderr()).isZero();
        assertThat(run.duck("SELECT id, v FROM m WHERE NOT _pgingest_deleted ORDER BY id"))
                .as("the attached rows arrived, the detached one is soft-deleted")
                .isEqualTo(PipelineRun.pg(db, "SELECT id, v FROM m ORDER BY id"));
        db.execute("CREATE TABLE m4 (id int, k int, v text, PRIMARY KEY (id, k))", "INSERT INTO m4 VALUES (5, 31, 'e')");
        String before;
        try (StateStore state = stateStore()) {
            before = state.object(pipelineName, "public.m").orElseThrow().message();
        }
        try (PipelineRun.Streaming streaming = run.stream()) {
            db.execute("ALTER TABLE m ATTACH PARTITION m4 FOR VALUES FROM (30) TO (40)", "ALTER TABLE m DETACH PARTITION m3",
                    "INSERT INTO m VALUES (6, 2, 'f')");
            awaitSlotPast(currentLsn(), 60);
            // the periodic check (every 15 s) sees the partitions changed and loads the table again
            assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60), () -> {
                try (StateStore state = stateStore()) {
                    String now = state.object(pipelineName, "public.m").orElseThrow().message();
                    return !now.equals(before) && now.contains("rows loaded");
                }
            })).isTrue();
            assertThat(streaming.stop()).as("the streaming run ended normally").isZero();
        }
        assertThat(run.duck("SELECT id, v FROM m WHERE NOT _pgingest_deleted ORDER BY id"))
                .as("while streaming too").isEqualTo(PipelineRun.pg(db, "SELECT id, v FROM m ORDER BY id"));
    }

    /**
     * The table writing a shared destination name dropped while the pipeline was stopped, its last changes in the slot:
     * they are written in the next run, and the table skipped for the name takes it over only at the start after, with a
     * load that replaces the destination rows (found by the twenty-second session's probe: loaded in the same run, the
     * dropped table's last changes were written over its rows). --check names the table skipped for the name.
     */
    @Test
    void aTableTakesASharedDestinationNameOverOnlyAfterTheLastChangesOfTheTableThatHadIt() throws Exception {
        db.execute("CREATE TABLE \"Order Items\" (id int PRIMARY KEY, v text)",
                "INSERT INTO \"Order Items\" VALUES (1, 'OLD1'), (2, 'OLD2'), (3, 'OLD3')",
                "CREATE TABLE order_items (id int PRIMARY KEY, v text)",
                "INSERT INTO order_items VALUES (1, 'new1'), (2, 'new2'), (3, 'new3')");
        pipeline();
        assertThat(run.command("--check").stdout()).contains("public.order_items will be skipped: its destination table"
                + " order_items is written by public.Order Items");
        assertThat(run.once().exitCode()).isZero();
        db.execute("UPDATE \"Order Items\" SET v = 'OLD2-upd' WHERE id = 2", "DELETE FROM \"Order Items\" WHERE id = 3",
                "INSERT INTO \"Order Items\" VALUES (4, 'OLD4')", "DROP TABLE \"Order Items\"");
        PipelineRun.Result last = run.once();
        assertThat(last.exitCode()).as(last.stderr()).isZero();
        assertThat(run.duck("SELECT id, v FROM order_items WHERE NOT _pgingest_deleted ORDER BY id"))
                .as("the dropped table's last changes").containsExactly(List.of(1, "OLD1"), List.of(2, "OLD2-upd"), List.of(4, "OLD4"));
        PipelineRun.Result next = run.once();
        assertThat(next.exitCode()).as(next.stderr()).isZero();
        assertThat(run.duck("SELECT id, v FROM order_items WHERE NOT _pgingest_deleted ORDER BY id"))
                .as("then order_items' rows, and only those").isEqualTo(PipelineRun.pg(db, "SELECT id, v FROM order_items ORDER BY id"));
        db.execute("UPDATE order_items SET v = 'new2-upd' WHERE id = 2");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT id, v FROM order_items WHERE NOT _pgingest_deleted ORDER BY id")).as("and its changes stream")
                .isEqualTo(PipelineRun.pg(db, "SELECT id, v FROM order_items ORDER BY id"));
    }

    /** A streamed table attached as a partition is said to be that, not dropped (found by the twenty-second session's probe). */
    @Test
    void aTableAttachedAsAPartitionIsNotedAsSuch() throws Exception {
        db.execute("CREATE TABLE p (id int, k int, v text, PRIMARY KEY (id, k)) PARTITION BY RANGE (k)",
                "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10)",
                "CREATE TABLE lone (id int, k int, v text, PRIMARY KEY (id, k))", "INSERT INTO lone VALUES (1, 15, 'x')");
        pipeline();
        assertThat(run.once().exitCode()).isZero();
        db.execute("ALTER TABLE p ATTACH PARTITION lone FOR VALUES FROM (10) TO (20)");
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(objectMessage("public.lone")).contains("attached as a partition of p").doesNotContain("renamed");
        assertThat(run.duck("SELECT id, v FROM p WHERE NOT _pgingest_deleted")).as("its rows arrive through the table")
                .containsExactly(List.of(1, "x"));
    }

    /**
     * A partitioned table without key whose partitions (not the table itself) have REPLICA IDENTITY FULL: the partitions'
     * identity decides what the WAL holds, so it streams like any table without key under FULL (an append log). Before
     * the twentieth session it was skipped for the table's own identity.
     */
    @Test
    void aPartitionedTableWhosePartitionsAreReplicaIdentityFullStreams() throws Exception {
        db.execute("CREATE TABLE lp (k int, v text) PARTITION BY LIST (k)",
                "CREATE TABLE lp1 PARTITION OF lp FOR VALUES IN (1)", "CREATE TABLE lp2 PARTITION OF lp FOR VALUES IN (2)",
                "ALTER TABLE lp1 REPLICA IDENTITY FULL", "ALTER TABLE lp2 REPLICA IDENTITY FULL",
                "INSERT INTO lp VALUES (1, 'a'), (2, 'b')");
        pipeline("objects", "public.lp");
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("UPDATE lp SET v = 'A' WHERE k = 1", "DELETE FROM lp WHERE k = 2");
        assertThat(run.once().exitCode()).as("the streaming run succeeds").isZero();
        assertThat(run.duck("SELECT k, v, _pgingest_deleted FROM lp ORDER BY _pgingest_position, k"))
                .as("loaded, then each change appended").containsExactly(List.of(1, "a", false), List.of(2, "b", false),
                        List.of(1, "A", false), List.of(2, "b", true));
    }

    /**
     * A destination table locked by another session for longer than the writer's lock timeout (30 s) and than
     * retrySeconds: the batch is tried again, with a WARN each time, for as long as the lock is held, and arrives once it
     * is released; the pipeline does not stop. (Without the lock timeout the write waited without a word.)
     */
    @Test
    void aBatchWaitingForALockedDestinationTableArrivesOnceItIsReleased() throws Exception {
        try (TestDatabase dest = TestDatabase.create("dest")) {
            pipelineName = "locked_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication",
                    "retrySeconds", "5");
            try (PipelineRun.Streaming streaming = run.stream()) {
                db.execute("INSERT INTO items VALUES (4, 'four', 4.40, NULL)");
                awaitRows(dest, "SELECT count(*) FROM items", List.of(List.of(4L)), 60);
                try (java.sql.Connection holder = dest.connect(); java.sql.Statement s = holder.createStatement()) {
                    holder.setAutoCommit(false);
                    s.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE");
                    db.execute("INSERT INTO items VALUES (5, 'five', 5.50, NULL)");
                    Thread.sleep(40_000); // past the lock timeout, and retrySeconds
                    holder.rollback();
                }
                awaitRows(dest, "SELECT count(*) FROM items", List.of(List.of(5L)), 60);
                assertThat(streaming.stop()).as("the streaming run ended normally, not FAILED").isZero();
            }
        }
    }

    @Test
    void restartHistoricalLoadWhileStreamingLoadsTheTableAgainAndTheStreamGoesOn() throws Exception {
        try (TestDatabase dest = TestDatabase.create("dest")) {
            db.execute("CREATE TABLE other (id int PRIMARY KEY, v text)");
            pipelineName = "reload_" + db.name().substring(db.name().length() - 8);
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication");
            assertThat(run.once().exitCode()).isZero();
            dest.execute("DELETE FROM items WHERE id = 2", "UPDATE items SET name = 'wrong' WHERE id = 1");

            try (PipelineRun.Streaming streaming = run.stream()) {
                db.execute("INSERT INTO other VALUES (1, 'streamed')");
                awaitRows(dest, "SELECT v FROM other WHERE id = 1", List.of(List.of("streamed")), 30);
                PipelineRun.Output requested = run.command("--restart-historical-load", pipelineName, "public.items");
                assertThat(requested.exitCode()).as(requested.stderr()).isZero();
                assertThat(requested.stdout()).contains("is running");
                // the periodic check (every 15 s, at a batch or heartbeat) picks the request up
                awaitRows(dest, "SELECT id, name FROM items ORDER BY id",
                        List.of(List.of(1, "one"), List.of(2, "two"), List.of(3, "three")), 60);
                db.execute("UPDATE items SET name = 'THREE' WHERE id = 3", "INSERT INTO other VALUES (2, 'after')");
                awaitRows(dest, "SELECT (SELECT name FROM items WHERE id = 3), (SELECT v FROM other WHERE id = 2)",
                        List.of(List.of("THREE", "after")), 30);
                assertThat(streaming.stop()).as("the streaming run ended normally").isZero();
            }
        }
    }

    @Test
    void aPipelineRouteStoppedAndStartedAgainInTheRunningApplicationStreamsTheChangesMadeMeanwhile() throws Exception {
        try (TestDatabase dest = TestDatabase.create("dest")) {
            pipelineName = "restart_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication");
            try (PipelineRun.Streaming streaming = run.stream()) {
                db.execute("UPDATE items SET name = 'streamed' WHERE id = 1");
                awaitRows(dest, "SELECT id, name FROM items ORDER BY id",
                        List.of(List.of(1, "streamed"), List.of(2, "two"), List.of(3, "three")), 60);
                org.apache.camel.CamelContext context = streaming.camelContext();

                context.getRouteController().stopRoute(pipelineName);
                assertThat(slotReleased()).as("the stopped route released the slot").isTrue();
                db.execute("INSERT INTO items VALUES (4, 'four', 4.40, NULL)", "UPDATE items SET name = 'TWO' WHERE id = 2");
                context.getRouteController().startRoute(pipelineName);

                awaitRows(dest, "SELECT id, name FROM items ORDER BY id",
                        List.of(List.of(1, "streamed"), List.of(2, "TWO"), List.of(3, "three"), List.of(4, "four")), 60);
                db.execute("DELETE FROM items WHERE id = 3");
                awaitRows(dest, "SELECT _pgingest_deleted FROM items WHERE id = 3", List.of(List.of(true)), 30);
                assertThat(streaming.stop()).as("the streaming run ended normally").isZero();
            }
            assertThat(slotReleased()).as("the stopped application released the slot").isTrue();
        }
    }

    /**
     * A log-based pipeline with a frequency reads its slot in scheduled runs (SPEC "Pipeline"): each run loads what is
     * owed and writes the changes up to the WAL position at its start, then closes its replication connection until the
     * next run; the changes made in between wait in the slot. (A route started again runs at once, as after a restart.)
     */
    @Test
    void aLogBasedPipelineWithAFrequencyReadsItsSlotInScheduledRunsAndDoesNotStreamBetweenThem() throws Exception {
        try (TestDatabase dest = TestDatabase.create("dest")) {
            pipelineName = "sched_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication",
                    "frequency", "1h");
            try (PipelineRun.Streaming app = run.stream()) {
                awaitRows(dest, "SELECT id, name FROM items ORDER BY id",
                        List.of(List.of(1, "one"), List.of(2, "two"), List.of(3, "three")), 60);
                // the run's end: its table recorded SCHEDULED (the rows arrive before its stream starts)
                assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60),
                        () -> run.command("--status").stdout().contains("SCHEDULED"))).as("the first run ended").isTrue();
                assertThat(slotReleased()).as("the run ended and closed its replication connection").isTrue();
                db.execute("INSERT INTO items VALUES (4, 'four', 4.40, NULL)", "UPDATE items SET name = 'ONE' WHERE id = 1");
                Thread.sleep(3_000); // a streaming pipeline writes them within a second (batchWaitMs 100)
                assertThat(PipelineRun.pg(dest, "SELECT id, name FROM items ORDER BY id")).as("nothing streamed between runs")
                        .containsExactly(List.of(1, "one"), List.of(2, "two"), List.of(3, "three"));
                assertThat(PipelineRun.pg(db, "SELECT active FROM pg_replication_slots WHERE slot_name = 'pgingest_"
                        + pipelineName + "'")).containsExactly(List.of(false));

                org.apache.camel.CamelContext context = app.camelContext();
                context.getRouteController().stopRoute(pipelineName);
                context.getRouteController().startRoute(pipelineName);
                awaitRows(dest, "SELECT id, name FROM items ORDER BY id",
                        List.of(List.of(1, "ONE"), List.of(2, "two"), List.of(3, "three"), List.of(4, "four")), 60);
                assertThat(slotReleased()).as("the second run ended too").isTrue();
                assertThat(app.stop()).isZero();
            }
            PipelineRun.Output status = run.command("--status");
            assertThat(status.stdout()).as(status.stdout()).contains("SCHEDULED").doesNotContain("STREAMING");
        }
    }

    /**
     * A table without key is an append log at the destination, and a run that stops inside a transaction (here: a
     * destination trigger fails the batch holding row 4,500, so the run fails after committing the batches before it)
     * has the next run read that whole transaction again. Its changes already written must not be appended twice: the
     * first run's rows were all appended a second time before rows carried their change's number. The rows of a COPY
     * share WAL records (one per heap page), so several changes carry one LSN and are numbered within it.
     */
    @Test
    void changesOfATableWithoutKeyReadAgainAfterAFailedRunAreNotAppendedTwice() throws Exception {
        try (TestDatabase dest = TestDatabase.create("dest")) {
            db.execute("CREATE TABLE copied (id int, v text)", "ALTER TABLE copied REPLICA IDENTITY FULL",
                    "INSERT INTO copied VALUES (0, 'first')");
            pipelineName = "copy_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication",
                    "objects", "public.copied", "batchSize", "1000", "retrySeconds", "1");
            assertThat(run.once().exitCode()).isZero();
            dest.execute("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$",
                    "CREATE TRIGGER refuse BEFORE INSERT ON copied FOR EACH ROW WHEN (NEW.id = 4500) EXECUTE FUNCTION refuse()");
            try (java.sql.Connection c = db.connect()) {
                StringBuilder rows = new StringBuilder();
                for (int id = 1; id <= 6000; id++) {
                    rows.append(id).append("\trow ").append(id).append('\n');
                }
                new org.postgresql.copy.CopyManager(c.unwrap(org.postgresql.core.BaseConnection.class))
                        .copyIn("COPY copied FROM STDIN", new java.io.StringReader(rows.toString()));
            }
            assertThat(PipelineRun.pg(db, "SELECT count(DISTINCT lsn) < 100 FROM pg_logical_slot_peek_binary_changes('pgingest_"
                    + pipelineName + "', NULL, NULL, 'proto_version', '1', 'publication_names', 'pgingest_" + pipelineName + "')"))
                    .as("the COPY's rows share LSNs").containsExactly(List.of(true));
            assertThat(run.once().exitCode()).as("the batch with row 4500 fails the run").isNotZero();
            assertThat((Long) PipelineRun.pg(dest, "SELECT count(*) FROM copied").get(0).get(0))
                    .as("the batches before the failing one were written").isBetween(1000L, 4500L);

            dest.execute("DROP TRIGGER refuse ON copied");
            assertThat(run.once().exitCode()).isZero();
            assertThat(PipelineRun.pg(dest, "SELECT count(*), count(DISTINCT id), min(id), max(id), count(DISTINCT _pgingest_change),"
                    + " count(_pgingest_change) FROM copied"))
                    .as("every row of the COPY once, each with its own change number")
                    .containsExactly(List.of(6001L, 6001L, 0, 6000, 6000L, 6000L));
        }
    }

    /**
     * A server restart that takes the destination down too (here: the source's and the destination's databases refusing
     * connections, the destination's sessions terminated, as a shutdown does): the batch that fails meanwhile must not
     * keep the replication connection, since a server shutting down waits for its WAL senders' clients (until
     * wal_sender_timeout, 60 s). pg-ingest lets it go, and streams again over a new one once the source is back.
     */
    @Test
    void aBatchFailingWhileTheSourceIsAwayLetsTheReplicationConnectionGoAndStreamsAgainAfter() throws Exception {
        try (TestDatabase dest = TestDatabase.create("dest")) {
            pipelineName = "away_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication",
                    "retrySeconds", "300");
            try (PipelineRun.Streaming streaming = run.stream(); java.sql.Connection held = db.connect()) {
                awaitRows(dest, "SELECT count(*) FROM items", List.of(List.of(3L)), 60);
                Object walSender = admin("SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'pgingest_" + pipelineName + "'");
                try {
                    admin("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS false");
                    admin("ALTER DATABASE " + dest.name() + " ALLOW_CONNECTIONS false");
                    admin("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + dest.name() + "'");
                    try (java.sql.Statement s = held.createStatement()) {
                        s.execute("INSERT INTO items VALUES (4, 'four', 4.40, NULL)");
                    }
                    assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(30), () -> Boolean.FALSE.equals(
                            admin("SELECT active FROM pg_replication_slots WHERE slot_name = 'pgingest_" + pipelineName + "'"))))
                            .as("the replication connection is let go while the batch fails and the source is away").isTrue();
                } finally {
                    admin("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS true");
                    admin("ALTER DATABASE " + dest.name() + " ALLOW_CONNECTIONS true");
                }
                awaitRows(dest, "SELECT id, name FROM items ORDER BY id",
                        List.of(List.of(1, "one"), List.of(2, "two"), List.of(3, "three"), List.of(4, "four")), 90);
                assertThat(admin("SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'pgingest_" + pipelineName + "'"))
                        .as("streaming goes on over a new replication connection").isNotNull().isNotEqualTo(walSender);
                db.execute("UPDATE items SET name = 'FOUR' WHERE id = 4");
                awaitRows(dest, "SELECT name FROM items WHERE id = 4", List.of(List.of("FOUR")), 30);
                assertThat(streaming.stop()).as("the streaming run ended normally").isZero();
            }
        }
    }

    /** The first value of a statement run in the server's postgres database (the test's databases may refuse connections). */
    private static Object admin(String sql) throws java.sql.SQLException {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(TestDatabase.url("postgres"), TestDatabase.USER,
                TestDatabase.PASSWORD); java.sql.Statement s = c.createStatement()) {
            if (!s.execute(sql)) {
                return null;
            }
            try (java.sql.ResultSet rs = s.getResultSet()) {
                return rs.next() ? rs.getObject(1) : null;
            }
        }
    }

    /** Whether the pipeline's slot is (or within 30 s becomes) inactive. */
    private boolean slotReleased() throws Exception {
        return PipelineRun.eventually(java.time.Duration.ofSeconds(30), () -> PipelineRun.pg(db,
                "SELECT active FROM pg_replication_slots WHERE slot_name = 'pgingest_" + pipelineName + "'")
                .equals(List.of(List.of(false))));
    }

    /** Polls the destination until {@code sql} returns {@code expected}; fails after {@code seconds}. */
    private static void awaitRows(TestDatabase dest, String sql, List<List<Object>> expected, int seconds) throws Exception {
        Object[] got = {List.of()};
        PipelineRun.eventually(java.time.Duration.ofSeconds(seconds), () -> {
            try {
                got[0] = PipelineRun.pg(dest, sql);
            } catch (java.sql.SQLException e) {
                got[0] = List.of(List.of(e.getMessage()));
            }
            return got[0].equals(expected);
        });
        assertThat(got[0]).as(sql + " within " + seconds + " s").isEqualTo(expected);
    }

    private StateStore stateStore() {
        return JdbcStateStore.open("jdbc:h2:file:" + tmp.resolve("state"), "sa", "");
    }

    /** The rows of the pipeline's offset table in the H2 state file the run used. */
    private List<List<String>> offsetRows() throws java.sql.SQLException {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:h2:file:" + tmp.resolve("state"), "sa", "");
             java.sql.Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT offset_key, offset_val FROM "
                     + io.pgingest.source.logical.ReplicationNames.offsetTable(pipelineName))) {
            List<List<String>> rows = new java.util.ArrayList<>();
            while (rs.next()) {
                rows.add(List.of(rs.getString(1), rs.getString(2)));
            }
            return rows;
        }
    }

    @Test
    void aFailingDestinationStopsThePipelineAndTheOffsetDoesNotAdvance() throws Exception {
        pipeline("retrySeconds", "7"); // waits 1, 2, 4 s: four attempts
        assertThat(run.once().exitCode()).isZero();
        // The destination table replaced by a view: every write to it fails until it is fixed.
        run.duckExecute("DROP TABLE items");
        run.duckExecute("CREATE VIEW items AS SELECT 1 AS id");
        db.execute("INSERT INTO items VALUES (7, 'seven', 7.70, NULL)");
        PipelineRun.Result failed = run.once();
        assertThat(failed.exitCode()).as("retries exhausted: the pipeline stops and the run fails").isEqualTo(1);
        assertThat(PipelineRun.pg(db, "SELECT 1")).isNotEmpty();

        run.duckExecute("DROP VIEW items");
        assertThat(run.once().exitCode()).as("after the fix the run succeeds").isZero();
        assertThat(run.duck("SELECT id, name FROM items ORDER BY id")).as("the change that failed arrives after the fix")
                .contains(List.of(7, "seven"));
    }

    /**
     * The tables of a batch are written at the same time (TableWrites), and a retry writes only the tables whose write
     * failed: a table whose writes fail loses nothing of its own or of the other tables of its batches. (Whether the
     * other table's change shares the failing batch, and so is written during the retries, depends on where Debezium
     * cut its batches; TableWritesTest shows that it is.)
     */
    @Test
    void aTableWhoseWritesFailLosesNoChangeOfItsOwnOrOfTheOtherTablesOfItsBatch() throws Exception {
        db.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)");
        pipeline("retrySeconds", "3"); // waits 1, 2 s: three attempts
        assertThat(run.once().exitCode()).isZero();
        run.duckExecute("DROP TABLE items");
        run.duckExecute("CREATE VIEW items AS SELECT 1 AS id");
        db.execute("BEGIN; INSERT INTO items VALUES (8, 'eight', 8.80, NULL); INSERT INTO notes VALUES (1, 'note');"
                + " INSERT INTO items VALUES (9, 'nine', 9.90, NULL); INSERT INTO notes VALUES (2, 'another'); COMMIT");
        assertThat(run.once().exitCode()).as("items' writes fail every time").isEqualTo(1);

        run.duckExecute("DROP VIEW items");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT id, name FROM items WHERE NOT _pgingest_deleted AND id > 3 ORDER BY id"))
                .as("items' changes arrive after the fix").containsExactly(List.of(8, "eight"), List.of(9, "nine"));
        assertThat(run.duck("SELECT id, body FROM notes ORDER BY id")).containsExactly(List.of(1, "note"), List.of(2, "another"));
    }

    /**
     * The slot dropped while the pipeline was stopped (by hand, or not carried over by a failover): the changes made
     * meanwhile are nowhere to read, so the next start loads every table again instead of streaming from a new slot
     * as if nothing had happened.
     */
    @Test
    void aSlotLostWhileStoppedMakesTheNextStartLoadTheTablesAgain() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).isZero();
        db.execute("INSERT INTO items VALUES (4, 'four', 4.40, NULL)", "UPDATE items SET name = 'ONE' WHERE id = 1");
        db.execute("SELECT pg_drop_replication_slot('pgingest_" + pipelineName + "')");
        db.execute("INSERT INTO items VALUES (5, 'five', 5.50, NULL)");

        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT id, name FROM items WHERE NOT _pgingest_deleted ORDER BY id"))
                .as("the changes made before the slot was lost arrive too")
                .containsExactly(List.of(1, "ONE"), List.of(2, "two"), List.of(3, "three"), List.of(4, "four"), List.of(5, "five"));
        assertThat(PipelineRun.pg(db, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pgingest_" + pipelineName + "'"))
                .as("a new slot").containsExactly(List.of(1L));
        try (StateStore state = stateStore()) {
            assertThat(state.object(pipelineName, "public.items").orElseThrow().progress()).isEqualTo(ObjectProgress.STREAMING);
        }
        db.execute("UPDATE items SET name = 'TWO' WHERE id = 2");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT name FROM items WHERE id = 2")).as("streaming goes on from the new slot")
                .containsExactly(List.of("TWO"));
    }

    /**
     * A first run that failed before it created the slot (its user may not create the publication: no CREATE on the
     * database, not the tables' owner) leaves object records and no slot: the next run loads the tables as the first would have, and does not
     * warn that the slot was lost ("dropped, or lost in a failover"), which it never was.
     */
    @Test
    void aFirstRunThatFailedBeforeCreatingTheSlotIsNotTakenForALostSlot() throws Exception {
        String role = "pgi_" + db.suffix();
        db.execute("CREATE ROLE " + role + " LOGIN REPLICATION", "GRANT SELECT ON items TO " + role);
        try {
            pipeline("user", role);
            PipelineRun.Output first = run.command("--once");
            assertThat(first.exitCode()).as("the publication is refused").isNotZero();
            assertThat(PipelineRun.pg(db, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pgingest_"
                    + pipelineName + "'")).as("no slot yet").containsExactly(List.of(0L));

            db.execute("GRANT CREATE ON DATABASE " + db.name() + " TO " + role, "ALTER TABLE items OWNER TO " + role);
            PipelineRun.Output second = run.command("--once");
            assertThat(second.exitCode()).as(second.stderr() + second.stdout().lines().filter(l -> l.contains("ERROR") || l.contains("WARN")).toList()).isZero();
            assertThat(second.stdout()).as("no word of a lost slot").doesNotContain("was missing at the start")
                    .contains("its first run ended before it created the replication slot");
            assertThat(run.duck("SELECT id FROM items ORDER BY id")).as("the tables loaded")
                    .containsExactly(List.of(1), List.of(2), List.of(3));
        } finally {
            db.execute("DROP PUBLICATION IF EXISTS pgingest_" + pipelineName, "ALTER TABLE items OWNER TO " + TestDatabase.USER,
                    "DROP OWNED BY " + role);
            db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.name() + "'");
            admin("DROP ROLE " + role);
        }
    }

    /**
     * The slot lost under a streaming pipeline (its WAL sender ended, the slot dropped before Debezium reconnects: what
     * a failover of the source server does): Debezium would make a new slot and go on; the pipeline fails instead,
     * saying so, and its next start loads the tables again.
     */
    @Test
    void aSlotLostWhileStreamingFailsThePipelineAndTheNextStartLoadsTheTablesAgain() throws Exception {
        pipeline();
        try (PipelineRun.Streaming streaming = run.stream()) {
            String slot = "pgingest_" + pipelineName;
            assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60), () -> !PipelineRun.pg(db,
                    "SELECT 1 FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND active").isEmpty()))
                    .as("streaming").isTrue();
            db.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
            assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(5), () -> !PipelineRun.pg(db,
                    "SELECT 1 FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND NOT active").isEmpty())).isTrue();
            db.execute("SELECT pg_drop_replication_slot('" + slot + "')",
                    "INSERT INTO items VALUES (4, 'four', 4.40, NULL)");
            // Debezium reconnects after its retry wait (10 s)
            assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60), () -> {
                try (StateStore state = stateStore()) {
                    return state.object(pipelineName, "public.items").orElseThrow().progress() == ObjectProgress.FAILED;
                }
            })).as("the pipeline fails").isTrue();
            try (StateStore state = stateStore()) {
                assertThat(state.object(pipelineName, "public.items").orElseThrow().message()).contains("replication slot")
                        .contains("is gone");
            }
            assertThat(PipelineRun.pg(db, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))
                    .as("no slot made behind the pipeline's back").containsExactly(List.of(0L));
        }
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT id, name FROM items WHERE NOT _pgingest_deleted ORDER BY id"))
                .as("the next start loads the table again").containsExactly(List.of(1, "one"), List.of(2, "two"),
                        List.of(3, "three"), List.of(4, "four"));
    }

    @Test
    void withoutHistoricalDataOnlyChangesAfterTheStartArrive() throws Exception {
        pipeline("loadHistoricalData", "false");
        assertThat(run.once().exitCode()).isZero();
        db.execute("INSERT INTO items VALUES (8, 'eight', 8.80, NULL)", "UPDATE items SET name = 'ONE' WHERE id = 1");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT id, name FROM items ORDER BY id")).as("only the changes made after the pipeline started")
                .containsExactly(List.of(1, "ONE"), List.of(8, "eight"));
    }

    @Test
    void aColumnAddedWhileStreamingReachesTheDestination() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).isZero();
        db.execute("ALTER TABLE items ADD COLUMN note text",
                "INSERT INTO items VALUES (4, 'four', 4.40, NULL, 'hello')",
                "UPDATE items SET note = 'first' WHERE id = 1");
        assertThat(run.once().exitCode()).as("the run after ADD COLUMN succeeds").isZero();
        assertThat(run.duck("SELECT id, name, note FROM items ORDER BY id"))
                .as("the new column is added to the destination and carries the streamed values")
                .containsExactly(List.of(1, "one", "first"), java.util.Arrays.asList(2, "two", null),
                        java.util.Arrays.asList(3, "three", null), List.of(4, "four", "hello"));
    }

    @Test
    void aColumnAddedWithADefaultGetsItsValueIntoTheExistingRows() throws Exception {
        pipeline("batchSize", "2"); // the re-load reads pages of 2 rows: its keyset cursor goes on from page to page
        assertThat(run.once().exitCode()).isZero();
        db.execute("ALTER TABLE items ADD COLUMN status text DEFAULT 'new'",
                "ALTER TABLE items ADD COLUMN qty int NOT NULL DEFAULT 7",
                "UPDATE items SET status = 'paid' WHERE id = 2",
                "INSERT INTO items (id, name) VALUES (5, 'five')");
        assertThat(run.once().exitCode()).as("the run after ADD COLUMN ... DEFAULT succeeds").isZero();
        assertThat(run.duck("SELECT id, name, price, status, qty, _pgingest_deleted FROM items ORDER BY id"))
                .as("rows the WAL never changed get the default, the streamed update wins, other columns are untouched")
                .containsExactly(List.of(1, "one", new java.math.BigDecimal("1.10"), "new", 7, false),
                        List.of(2, "two", new java.math.BigDecimal("2.20"), "paid", 7, false),
                        List.of(3, "three", new java.math.BigDecimal("3.30"), "new", 7, false),
                        java.util.Arrays.asList(5, "five", null, "new", 7, false));

        db.execute("UPDATE items SET qty = 8 WHERE id = 1");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT id, status, qty FROM items ORDER BY id"))
                .as("later changes win over the re-loaded values, and the re-load is not repeated")
                .containsExactly(List.of(1, "new", 8), List.of(2, "paid", 7), List.of(3, "new", 7), List.of(5, "new", 7));
    }

    @Test
    void aDroppedColumnStaysInTheDestinationWithItsValues() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).isZero();
        // tmp is added and dropped again before the stream reaches it: its changes carry a column the catalog lacks
        db.execute("ALTER TABLE items ADD COLUMN tmp int", "INSERT INTO items VALUES (10, 'ten', 10.10, NULL, 1)",
                "ALTER TABLE items DROP COLUMN tmp", "ALTER TABLE items DROP COLUMN price",
                "UPDATE items SET name = 'ONE' WHERE id = 1",
                "INSERT INTO items (id, name) VALUES (9, 'nine')");
        assertThat(run.once().exitCode()).as("the run after DROP COLUMN succeeds").isZero();
        assertThat(run.duck("SELECT id, name, price FROM items ORDER BY id"))
                .as("the dropped column stays; updated rows keep its old value, new rows have none")
                .containsExactly(List.of(1, "ONE", new java.math.BigDecimal("1.10")),
                        List.of(2, "two", new java.math.BigDecimal("2.20")),
                        List.of(3, "three", new java.math.BigDecimal("3.30")), java.util.Arrays.asList(9, "nine", null),
                        // known limitation: columns are typed from the current catalog, so a value of a column dropped
                        // before the stream reached its change is not written
                        java.util.Arrays.asList(10, "ten", null));
    }

    @Test
    void aTableCreatedBetweenRunsIsPublishedLoadedAndThenStreamed() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).isZero();
        db.execute("CREATE TABLE orders (id int PRIMARY KEY, item text)",
                "INSERT INTO orders VALUES (1, 'apple'), (2, 'pear')");
        assertThat(run.once().exitCode()).as("the run that finds the new table succeeds").isZero();
        assertThat(run.duck("SELECT id, item, _pgingest_deleted FROM orders ORDER BY id"))
                .as("the rows the new table had before it was published are loaded")
                .containsExactly(List.of(1, "apple", false), List.of(2, "pear", false));
        assertThat(publishedTables()).as("the new table is added to the pipeline's publication").contains("orders");
        assertThat(objectState("public.orders")).as("the new table streams").containsExactly("INCLUDED", "STREAMING");

        db.execute("INSERT INTO orders VALUES (3, 'plum')", "UPDATE orders SET item = 'APPLE' WHERE id = 1",
                "DELETE FROM orders WHERE id = 2", "INSERT INTO items VALUES (4, 'four', 4.40, NULL)");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT id, item, _pgingest_deleted FROM orders ORDER BY id"))
                .as("changes of the new table made after it was loaded are streamed")
                .containsExactly(List.of(1, "APPLE", false), List.of(2, "pear", true), List.of(3, "plum", false));
        assertThat(run.duck("SELECT id FROM items ORDER BY id")).as("the other tables keep streaming")
                .containsExactly(List.of(1), List.of(2), List.of(3), List.of(4));
    }

    @Test
    void withIncludeNewTablesOffANewTableIsSkippedAndNotPublished() throws Exception {
        pipeline("includeNewTables", "false");
        assertThat(run.once().exitCode()).isZero();
        db.execute("CREATE TABLE orders (id int PRIMARY KEY, item text)", "INSERT INTO orders VALUES (1, 'apple')");
        assertThat(run.once().exitCode()).isZero();
        db.execute("INSERT INTO orders VALUES (2, 'pear')", "INSERT INTO items VALUES (4, 'four', 4.40, NULL)");
        assertThat(run.once().exitCode()).as("later runs succeed too").isZero();
        assertThat(objectState("public.orders")).as("the new table is listed as SKIPPED")
                .containsExactly("SKIPPED", "PENDING");
        assertThat(publishedTables()).as("a skipped table is not published").containsExactly("items");
        assertThat(run.duck("SELECT count(*) FROM information_schema.tables WHERE table_name = 'orders'"))
                .as("nothing of the skipped table reaches the destination").containsExactly(List.of(0L));
        assertThat(run.duck("SELECT id FROM items ORDER BY id")).as("the included table streams")
                .containsExactly(List.of(1), List.of(2), List.of(3), List.of(4));
    }

    /**
     * A table whose column names differ only by case ("ID" and id), which Debezium cannot read: it is SKIPPED with the
     * reason, and kept from Debezium, so the other tables stream. Before, Debezium's start failed on it and stopped
     * every pipeline of the database, also those that did not select it.
     */
    @Test
    void aTableWhoseColumnNamesDifferOnlyByCaseIsSkippedAndTheOthersStream() throws Exception {
        db.execute("CREATE TABLE nm (\"ID\" int PRIMARY KEY, id int)", "INSERT INTO nm VALUES (1, 1)");
        pipeline();
        PipelineRun.Result first = run.once();
        assertThat(first.exitCode()).as("the first run succeeds: " + first.stderr()).isZero();
        db.execute("INSERT INTO items VALUES (4, 'four', 4.40, NULL)", "UPDATE nm SET id = 2");
        PipelineRun.Result second = run.once();
        assertThat(second.exitCode()).as("the streaming run succeeds: " + second.stderr()).isZero();
        assertThat(objectState("public.nm")).containsExactly("SKIPPED", "PENDING");
        assertThat(publishedTables()).as("a skipped table is not published").containsExactly("items");
        assertThat(run.duck("SELECT id FROM items ORDER BY id")).as("the other table streams")
                .containsExactly(List.of(1), List.of(2), List.of(3), List.of(4));

        db.execute("ALTER TABLE nm RENAME COLUMN id TO id2", "INSERT INTO nm VALUES (2, 20)");
        PipelineRun.Result third = run.once();
        assertThat(third.exitCode()).as("the run after the rename succeeds: " + third.stderr()).isZero();
        assertThat(run.duck("SELECT \"id\", id2 FROM nm ORDER BY 1")).as("renamed, the table is included and loaded")
                .containsExactly(List.of(1, 2), List.of(2, 20));
    }

    /**
     * The old table's destination rows stay (DROP TABLE is not a row change in the WAL); rows of the new
     * table overwrite those with the same key, as a reload would.
     */
    @Test
    void aDroppedAndRecreatedTableIsReloadedAndItsOldRowsStay() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).isZero();
        db.execute("DROP TABLE items",
                "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), seen timestamptz)",
                "INSERT INTO items VALUES (1, 'uno', 1.00, NULL), (7, 'seven', 7.70, NULL)");
        assertThat(run.once().exitCode()).as("the run after the table was re-created succeeds").isZero();
        assertThat(run.duck("SELECT id, name FROM items ORDER BY id"))
                .as("the re-created table is loaded; rows of the old table that the new one lacks stay")
                .containsExactly(List.of(1, "uno"), List.of(2, "two"), List.of(3, "three"), List.of(7, "seven"));
        assertThat(publishedTables()).as("the re-created table is published again").containsExactly("items");

        db.execute("UPDATE items SET name = 'SEVEN' WHERE id = 7");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT name FROM items WHERE id = 7")).as("the re-created table streams")
                .containsExactly(List.of("SEVEN"));
    }

    /**
     * Changes made to a table just before it was dropped and re-created while the pipeline was stopped: the slot still
     * holds them, and the new table's load (which reads the new rows) sees their transactions, so they are written
     * below the loaded rows: they change only the old rows the new table lacks. Before, the batch carrying them had a
     * position above the load's: the old table's update overwrote the new row of that key, and its delete soft-deleted
     * a row that lives at the source.
     */
    @Test
    void changesOfATableDroppedAndRecreatedWhileStoppedDoNotOverwriteTheNewRows() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).isZero();
        db.execute("UPDATE items SET name = 'old-upd' WHERE id = 1", "DELETE FROM items WHERE id = 2",
                "UPDATE items SET name = 'old-three' WHERE id = 3", "DROP TABLE items",
                "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), seen timestamptz)",
                "INSERT INTO items VALUES (1, 'new', 1.00, NULL), (2, 'new2', 2.00, NULL)");
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as("the run after the table was re-created succeeds: " + result.stderr()).isZero();
        assertThat(run.duck("SELECT id, name, _pgingest_deleted FROM items ORDER BY id"))
                .as("the new table's rows as loaded; the old row the new table lacks stays, with its last change")
                .containsExactly(List.of(1, "new", false), List.of(2, "new2", false), List.of(3, "old-three", false));
        db.execute("UPDATE items SET name = 'NEW' WHERE id = 1", "DELETE FROM items WHERE id = 2");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT id, name, _pgingest_deleted FROM items ORDER BY id")).as("then its changes stream")
                .containsExactly(List.of(1, "NEW", false), List.of(2, "new2", true), List.of(3, "old-three", false));
    }

    /**
     * The old table truncated before it was dropped and re-created while the pipeline was stopped: the truncate, which the
     * new table's load sees, soft-deletes the old rows but none the load wrote (before the twenty-second session it
     * soft-deleted the loaded rows too, found by the session's probe).
     */
    @Test
    void aTruncateBeforeATableWasDroppedAndRecreatedWhileStoppedKeepsTheNewRows() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).isZero();
        db.execute("TRUNCATE items", "DROP TABLE items",
                "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), seen timestamptz)",
                "INSERT INTO items VALUES (1, 'new', 1.00, NULL), (4, 'four', 4.00, NULL)");
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(run.duck("SELECT id, name, _pgingest_deleted FROM items ORDER BY id"))
                .as("the new table's rows live, the old ones the truncate removed soft-deleted")
                .containsExactly(List.of(1, "new", false), List.of(2, "two", true), List.of(3, "three", true),
                        List.of(4, "four", false));
    }

    /**
     * Source tables whose destination names are the same ({@code "Order Items"} and {@code order_items}; {@code a_b} and,
     * created while streaming, {@code "A b"}): one keeps the destination table, the others are SKIPPED saying why, so that
     * no row of one overwrites the other's (before the twenty-second session the rows mixed, with a WARN at the start
     * only, found by the session's probe).
     */
    @Test
    void tablesWithTheSameDestinationNameDoNotMixTheirRows() throws Exception {
        db.execute("CREATE TABLE \"Order Items\" (id int PRIMARY KEY, v text)", "INSERT INTO \"Order Items\" VALUES (1, 'x')",
                "CREATE TABLE order_items (id int PRIMARY KEY, v text)", "INSERT INTO order_items VALUES (1, 'y')",
                "CREATE TABLE a_b (id int PRIMARY KEY, v text)", "INSERT INTO a_b VALUES (1, 'ab')",
                // a table skipped for what it is (UNLOGGED) claims no name: sales_x streams
                "CREATE UNLOGGED TABLE \"Sales X\" (id int PRIMARY KEY)", "CREATE TABLE sales_x (id int PRIMARY KEY)",
                "INSERT INTO sales_x VALUES (7)");
        try (TestDatabase dest = TestDatabase.create("dest")) {
            pipelineName = "names_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication",
                    "retrySeconds", "3");
            try (PipelineRun.Streaming streaming = run.stream()) {
                awaitRows(dest, "SELECT id, v FROM a_b", List.of(List.of(1, "ab")), 60);
                db.execute("CREATE TABLE \"A b\" (id int PRIMARY KEY, v text)", "INSERT INTO \"A b\" VALUES (1, 'other')",
                        "INSERT INTO a_b VALUES (2, 'ab2')");
                awaitRows(dest, "SELECT id, v FROM a_b ORDER BY id", List.of(List.of(1, "ab"), List.of(2, "ab2")), 60);
                assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60),
                        () -> objectMessage("public.A b") != null)).as("the new table was planned").isTrue();
                assertThat(streaming.stop()).as("the streaming run ended normally").isZero();
            }
            assertThat(objectMessage("public.A b")).contains("its destination table a_b is written by public.a_b");
            assertThat(objectMessage("public.order_items"))
                    .contains("its destination table order_items is written by public.Order Items");
            assertThat(PipelineRun.pg(dest, "SELECT id, v FROM order_items")).as("one table's rows only")
                    .containsExactly(List.of(1, "x"));
            assertThat(PipelineRun.pg(dest, "SELECT id, v FROM a_b ORDER BY id")).as("the first table's rows only")
                    .containsExactly(List.of(1, "ab"), List.of(2, "ab2"));
            assertThat(PipelineRun.pg(dest, "SELECT id FROM sales_x")).containsExactly(List.of(7));
        }
    }

    /**
     * A table whose name ends with a double quote: Debezium takes the quote for quoting and fails on each of its changes,
     * which stopped the whole pipeline for good (found by the twenty-second session's probe). It is SKIPPED saying why, and
     * the other tables stream.
     */
    @Test
    void aTableWhoseNameEndsWithADoubleQuoteIsSkippedAndTheOthersStream() throws Exception {
        db.execute("CREATE TABLE \"Größe \"\"Tab\"\"\" (id int PRIMARY KEY, v text)", "INSERT INTO \"Größe \"\"Tab\"\"\" VALUES (1, 'a')");
        pipeline();
        PipelineRun.Result first = run.once();
        assertThat(first.exitCode()).as(first.stderr()).isZero();
        db.execute("UPDATE \"Größe \"\"Tab\"\"\" SET v = 'b'", "UPDATE items SET name = 'changed' WHERE id = 1");
        PipelineRun.Result second = run.once();
        assertThat(second.exitCode()).as(second.stderr()).isZero();
        assertThat(run.duck("SELECT name FROM items WHERE id = 1")).containsExactly(List.of("changed"));
        assertThat(objectMessage("public.Größe \"Tab\"")).contains("starts or ends with a double quote");
    }

    @Test
    void aDroppedTableIsNotedAndItsDestinationRowsStay() throws Exception {
        pipeline();
        db.execute("CREATE TABLE orders (id int PRIMARY KEY, item text)", "INSERT INTO orders VALUES (1, 'apple')");
        assertThat(run.once().exitCode()).isZero();
        db.execute("INSERT INTO orders VALUES (2, 'pear')");
        assertThat(run.once().exitCode()).isZero();
        db.execute("DROP TABLE orders", "INSERT INTO items VALUES (4, 'four', 4.40, NULL)");
        assertThat(run.once().exitCode()).as("the run after DROP TABLE succeeds").isZero();
        assertThat(run.duck("SELECT id, item FROM orders ORDER BY id"))
                .as("the destination keeps the dropped table's rows")
                .containsExactly(List.of(1, "apple"), List.of(2, "pear"));
        assertThat(objectMessage("public.orders")).as("the object says the table was dropped").startsWith("dropped at the source");
        assertThat(run.duck("SELECT id FROM items ORDER BY id")).as("the other tables keep streaming")
                .containsExactly(List.of(1), List.of(2), List.of(3), List.of(4));
    }

    /**
     * Changes made while the pipeline was stopped, then the table dropped: the slot still holds them (pgoutput decodes
     * them with the catalog of their time), and they reach the destination table.
     */
    @Test
    void aTableDroppedWhileThePipelineWasStoppedGetsTheChangesMadeBeforeTheDrop() throws Exception {
        pipeline();
        db.execute("CREATE TABLE orders (id int PRIMARY KEY, item text, qty int)", "INSERT INTO orders VALUES (1, 'apple', 1)",
                "CREATE TABLE notes (n int, body text)", "ALTER TABLE notes REPLICA IDENTITY FULL",
                "INSERT INTO notes VALUES (1, 'first')");
        assertThat(run.once().exitCode()).isZero();
        db.execute("INSERT INTO orders VALUES (2, 'pear', 2), (3, 'plum', 3)", "UPDATE orders SET qty = 10 WHERE id = 1",
                "DELETE FROM orders WHERE id = 3", "INSERT INTO notes VALUES (2, 'second')",
                // columns added just before the drop, with values: only the replication stream still knows their types
                "ALTER TABLE orders ADD COLUMN price numeric(10,2), ADD COLUMN tags text[]",
                "INSERT INTO orders VALUES (4, 'fig', 4, 1.25, '{a,b}')", "ALTER TABLE notes ADD COLUMN due date",
                "INSERT INTO notes VALUES (3, 'third', '2026-12-01')",
                "DROP TABLE orders", "DROP TABLE notes", "INSERT INTO items VALUES (4, 'four', 4.40, NULL)");
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(run.duck("SELECT id, item, qty, _pgingest_deleted FROM orders ORDER BY id"))
                .as("the changes made before the drop arrived: insert, update, soft delete")
                .containsExactly(List.of(1, "apple", 10, false), List.of(2, "pear", 2, false), List.of(3, "plum", 3, true),
                        List.of(4, "fig", 4, false));
        assertThat(run.duck("SELECT id, price::VARCHAR, tags FROM orders WHERE id = 4"))
                .as("with the values of the columns added before the drop").containsExactly(List.of(4, "1.25", "[\"a\",\"b\"]"));
        assertThat(run.duck("SELECT n, body, due::VARCHAR FROM notes ORDER BY n")).as("and into the table without key")
                .containsExactly(Arrays.asList(1, "first", null), Arrays.asList(2, "second", null), List.of(3, "third", "2026-12-01"));
        assertThat(objectMessage("public.orders")).as("the object says the table was dropped").startsWith("dropped at the source");
        assertThat(run.duck("SELECT id FROM items ORDER BY id")).as("the other tables keep streaming")
                .containsExactly(List.of(1), List.of(2), List.of(3), List.of(4));

        db.execute("INSERT INTO items VALUES (5, 'five', 5.50, NULL)");
        assertThat(run.once().exitCode()).as("a later run, the tables still gone").isZero();
        assertThat(run.duck("SELECT count(*) FROM orders")).as("nothing more for the dropped table").containsExactly(List.of(4L));
        assertThat(run.duck("SELECT id FROM items ORDER BY id")).containsExactly(List.of(1), List.of(2), List.of(3),
                List.of(4), List.of(5));
    }

    /**
     * A table renamed while the pipeline was stopped: the changes made before the rename arrive under the old name (as
     * when it is renamed while streaming), a column added before the rename too; the table under its new name is
     * loaded whole and streams.
     */
    @Test
    void aTableRenamedWhileThePipelineWasStoppedKeepsTheChangesBeforeTheRenameUnderItsOldName() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).isZero();
        db.execute("UPDATE items SET name = 'ONE' WHERE id = 1", "ALTER TABLE items ADD COLUMN note text DEFAULT 'n/a'",
                "UPDATE items SET note = 'two''s note' WHERE id = 2", "ALTER TABLE items RENAME TO goods",
                "UPDATE goods SET name = 'THREE' WHERE id = 3");
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(run.duck("SELECT id, name, note FROM items ORDER BY id"))
                .as("the old name's table got the changes made before the rename, the added column included (its DEFAULT"
                        + " is not re-loaded into the old name's other rows: the new name holds them)")
                .containsExactly(java.util.Arrays.asList(1, "ONE", null), List.of(2, "two", "two's note"),
                        java.util.Arrays.asList(3, "three", null));
        assertThat(run.duck("SELECT id, name, note FROM goods ORDER BY id")).as("the new name is loaded whole")
                .containsExactly(List.of(1, "ONE", "n/a"), List.of(2, "two", "two's note"), List.of(3, "THREE", "n/a"));
        assertThat(objectMessage("public.items")).as("the old name's object says where the table went")
                .startsWith("dropped at the source (renamed to public.goods)");
        db.execute("UPDATE goods SET name = 'TWO' WHERE id = 2");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT name FROM goods WHERE id = 2")).as("and streams").containsExactly(List.of("TWO"));
    }

    /**
     * A table with a column read back from the source after each batch (a stored generated column, which pgoutput does
     * not send), renamed while the pipeline was stopped: its changes under the old name cannot be read back (no table
     * has that name any more) and are written without that column instead of failing the batch.
     */
    @Test
    void aRenamedTableWithReadBackColumnsGetsItsChangesUnderTheOldNameWithoutFailing() throws Exception {
        db.execute("CREATE TABLE priced (id int PRIMARY KEY, price numeric(10,2), doubled numeric(10,2)"
                + " GENERATED ALWAYS AS (price * 2) STORED)", "INSERT INTO priced (id, price) VALUES (1, 1.00), (2, 2.00)");
        pipeline();
        assertThat(run.once().exitCode()).isZero();
        db.execute("UPDATE priced SET price = 5.00 WHERE id = 1", "ALTER TABLE priced RENAME TO priced_new");
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(run.duck("SELECT id, price, doubled FROM priced ORDER BY id"))
                .as("the change under the old name; the generated column keeps its value (nothing to read it back from)")
                .containsExactly(List.of(1, new java.math.BigDecimal("5.00"), new java.math.BigDecimal("2.00")),
                        List.of(2, new java.math.BigDecimal("2.00"), new java.math.BigDecimal("4.00")));
        assertThat(run.duck("SELECT id, price, doubled FROM priced_new ORDER BY id")).as("the new name loaded whole")
                .containsExactly(List.of(1, new java.math.BigDecimal("5.00"), new java.math.BigDecimal("10.00")),
                        List.of(2, new java.math.BigDecimal("2.00"), new java.math.BigDecimal("4.00")));
    }

    private String objectMessage(String object) throws java.sql.SQLException {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:h2:file:" + tmp.resolve("state"), "sa", "");
             java.sql.PreparedStatement ps = c.prepareStatement("SELECT message FROM pgingest_object WHERE object = ?")) {
            ps.setString(1, object);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** The tables in the test database's publications. */
    private List<String> publishedTables() throws java.sql.SQLException {
        return PipelineRun.pg(db, "SELECT tablename FROM pg_publication_tables ORDER BY tablename").stream()
                .map(r -> (String) r.get(0)).toList();
    }

    /** Status and progress of an object in the H2 state file the runs used. */
    private List<String> objectState(String object) throws java.sql.SQLException {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:h2:file:" + tmp.resolve("state"), "sa", "");
             java.sql.PreparedStatement ps = c.prepareStatement("SELECT status, progress FROM pgingest_object WHERE object = ?")) {
            ps.setString(1, object);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next() ? List.of(rs.getString(1), rs.getString(2)) : List.of();
            }
        }
    }

    @Test
    void aPartitionedTableLandsInOneDestinationTableWhenLoadedAndWhenStreamed() throws Exception {
        db.execute("CREATE TABLE measurements (id int, at date, v float8, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
                "CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                "CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
                "INSERT INTO measurements SELECT g, '2024-12-01'::date + g, g FROM generate_series(1, 40) g");
        pipeline();
        String publication = io.pgingest.source.logical.ReplicationNames.slot(pipelineName);
        // as pg-ingest made it before it published partitions' changes as their root's
        db.execute("CREATE PUBLICATION " + publication + " FOR TABLE items, measurements");
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        assertThat(PipelineRun.pg(db, "SELECT pubviaroot FROM pg_publication WHERE pubname = '" + publication + "'"))
                .as("the existing publication now publishes via the partitioned table").containsExactly(List.of(true));
        assertThat(run.duckCount("measurements")).as("the rows of both partitions, in one table").isEqualTo(40);

        db.execute("INSERT INTO measurements VALUES (100, '2024-03-01', 1), (101, '2025-03-01', 2)",
                "UPDATE measurements SET v = -1 WHERE id IN (1, 40)", // one row in each partition
                "UPDATE measurements SET at = '2025-06-01' WHERE id = 2", // moves from one partition to the other
                "DELETE FROM measurements WHERE id = 3");
        assertThat(run.once().exitCode()).as("the streaming run succeeds").isZero();
        assertThat(run.duck("SELECT id, CAST(\"at\" AS VARCHAR), v, _pgingest_deleted FROM measurements"
                + " WHERE id IN (1, 2, 3, 40, 100, 101) ORDER BY id, \"at\""))
                .as("changes of the partitions arrive in the root's table; a row moved between partitions is a delete and"
                        + " an insert (its key includes the partition key)")
                .containsExactly(List.of(1, "2024-12-02", -1.0, false), List.of(2, "2024-12-03", 2.0, true),
                        List.of(2, "2025-06-01", 2.0, false), List.of(3, "2024-12-04", 3.0, true),
                        List.of(40, "2025-01-10", -1.0, false), List.of(100, "2024-03-01", 1.0, false),
                        List.of(101, "2025-03-01", 2.0, false));
        assertThat(run.duck("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'measurements%'"))
                .as("no table per partition").containsExactly(List.of("measurements"));

        db.execute("CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
                "INSERT INTO measurements VALUES (200, '2026-02-01', 3)");
        assertThat(run.once().exitCode()).as("the run after a partition was added succeeds").isZero();
        assertThat(run.duck("SELECT id, v FROM measurements WHERE id = 200")).as("a partition added later streams too")
                .containsExactly(List.of(200, 3.0));
    }

    @Test
    void aTruncateSoftDeletesTheRowsBeforeItAndTheRowsAfterItStay() throws Exception {
        db.execute("CREATE TABLE bag (n int, v text)", "ALTER TABLE bag REPLICA IDENTITY FULL",
                "INSERT INTO bag VALUES (1, 'one'), (2, 'two')");
        pipeline();
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();

        db.execute("INSERT INTO items VALUES (4, 'four', 4.40, NULL)", // before the truncate: gone with it
                "TRUNCATE items, bag",
                "INSERT INTO items VALUES (2, 'two again', 2.00, NULL), (5, 'five', 5.50, NULL)",
                "INSERT INTO bag VALUES (3, 'three')");
        assertThat(run.once().exitCode()).as("the streaming run succeeds").isZero();
        assertThat(run.duck("SELECT id, name FROM items WHERE NOT _pgingest_deleted ORDER BY id"))
                .as("the live rows are those inserted after the truncate (4, inserted before it, is gone or deleted)")
                .containsExactly(List.of(2, "two again"), List.of(5, "five"));
        assertThat(run.duck("SELECT id, name FROM items WHERE _pgingest_deleted AND id <> 4 ORDER BY id"))
                .as("the rows the truncate removed are soft-deleted with their values")
                .containsExactly(List.of(1, "one"), List.of(3, "three"));
        assertThat(run.duck("SELECT n, v, _pgingest_deleted FROM bag ORDER BY n"))
                .as("a table without key too").containsExactly(List.of(1, "one", true), List.of(2, "two", true),
                        List.of(3, "three", false));

        db.execute("TRUNCATE items");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT count(*) FROM items WHERE NOT _pgingest_deleted")).as("a truncate in a run of its own")
                .containsExactly(List.of(0L));
    }

    @Test
    void anUpdateOfTheKeyDeletesTheOldKeyAndInsertsTheNewOne() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("UPDATE items SET id = 10, name = 'ten' WHERE id = 1",
                "BEGIN; UPDATE items SET id = 20 WHERE id = 2; UPDATE items SET id = 2 WHERE id = 20; COMMIT");
        assertThat(run.once().exitCode()).as("the streaming run succeeds").isZero();
        assertThat(run.duck("SELECT id, name, price, _pgingest_deleted FROM items WHERE id <> 20 ORDER BY id"))
                .as("the old key soft-deleted, the new one live with the row's values; a key moved and moved back is live")
                .containsExactly(List.of(1, "one", new java.math.BigDecimal("1.10"), true),
                        List.of(2, "two", new java.math.BigDecimal("2.20"), false),
                        List.of(3, "three", new java.math.BigDecimal("3.30"), false),
                        List.of(10, "ten", new java.math.BigDecimal("1.10"), false));
        assertThat(run.duck("SELECT _pgingest_deleted FROM items WHERE id = 20"))
                .as("the key it passed through is a deleted row (with the key only when its insert and delete were in one"
                        + " batch)").containsExactly(List.of(true));
    }

    /** Tables keyed by numeric, float8 and interval (see {@link #aKeyRewrittenInAnEqualFormStaysLiveInPostgres}). */
    private static final String[] EQUAL_KEY_TABLES = {"CREATE TABLE r_num (k numeric PRIMARY KEY, v int)",
        "CREATE TABLE r_f (k float8 PRIMARY KEY, v int)", "CREATE TABLE r_iv (k interval PRIMARY KEY, v int)",
        "INSERT INTO r_num VALUES (19.5, 1), (7, 1)", "INSERT INTO r_f VALUES (0, 1)", "INSERT INTO r_iv VALUES ('1 day', 1)"};

    /** Each key rewritten in a form PostgreSQL holds equal, after an insert in the same transaction. */
    private static final String[] EQUAL_KEY_CHANGES = {
        "BEGIN; INSERT INTO r_num VALUES (100, 1); UPDATE r_num SET k = 19.50, v = 4 WHERE k = 19.5;"
            + " UPDATE r_num SET k = 7.000 WHERE k = 7; COMMIT",
        "BEGIN; INSERT INTO r_f VALUES (5, 1); DELETE FROM r_f WHERE k = 0; INSERT INTO r_f VALUES ('-0', 4); COMMIT",
        "BEGIN; INSERT INTO r_iv VALUES ('2 days', 1); UPDATE r_iv SET k = '24 hours', v = 4 WHERE k = '1 day'; COMMIT"};

    /**
     * Keys PostgreSQL holds equal but written another way (numeric 19.5 / 19.50, float 0 / -0, interval 1 day /
     * 24:00:00): a rewrite of such a key (the server sends the old key, Debezium a delete and an insert) with another
     * insert before it in the same batch left the row soft-deleted while it lives at the source. Now the row is live,
     * and PostgreSQL's row takes the key's new form as the source's did.
     */
    @Test
    void aKeyRewrittenInAnEqualFormStaysLiveInPostgres() throws Exception {
        db.execute(EQUAL_KEY_TABLES);
        String rows = "SELECT 'num', k::text, v, _pgingest_deleted FROM r_num UNION ALL SELECT 'f', k::text, v, _pgingest_deleted"
                + " FROM r_f UNION ALL SELECT 'iv', k::text, v, _pgingest_deleted FROM r_iv ORDER BY 1, 2, 4";
        List<List<Object>> expected = List.of(List.of("f", "-0", 4, false), List.of("f", "5", 1, false),
                List.of("iv", "2 days", 1, false), List.of("iv", "24:00:00", 4, false),
                List.of("num", "100", 1, false), List.of("num", "19.50", 4, false), List.of("num", "7.000", 1, false));
        try (TestDatabase dest = TestDatabase.create("dest")) {
            pipelineName = "eqkeys_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication");
            assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
            db.execute(EQUAL_KEY_CHANGES);
            PipelineRun.Result result = run.once();
            assertThat(result.exitCode()).as("the streaming run succeeds: " + result.stderr()).isZero();
            assertThat(PipelineRun.pg(db, rows.replace(", _pgingest_deleted", ", false"))).as("the source").isEqualTo(expected);
            assertThat(PipelineRun.pg(dest, rows)).as("one live row per key, each in the source's form").isEqualTo(expected);
        }
    }

    /** {@link #aKeyRewrittenInAnEqualFormStaysLiveInPostgres} into DuckDB, which holds unconstrained numeric as text. */
    @Test
    void aKeyRewrittenInAnEqualFormStaysLiveInDuckDb() throws Exception {
        db.execute(EQUAL_KEY_TABLES);
        pipeline();
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute(EQUAL_KEY_CHANGES);
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as("the streaming run succeeds: " + result.stderr()).isZero();
        assertThat(run.duck("SELECT k, v FROM r_num WHERE NOT _pgingest_deleted ORDER BY k"))
                .as("the old forms deleted, the new ones live").containsExactly(List.of("100", 1), List.of("19.50", 4), List.of("7.000", 1));
        assertThat(run.duck("SELECT k = 0, v FROM r_f WHERE NOT _pgingest_deleted ORDER BY k"))
                .as("(DuckDB's key keeps zero's first sign)").containsExactly(List.of(true, 4), List.of(false, 1));
        assertThat(run.duck("SELECT CAST(k AS VARCHAR), v FROM r_iv WHERE NOT _pgingest_deleted ORDER BY k"))
                .containsExactly(List.of("24:00:00", 4), List.of("2 days", 1));
    }

    /**
     * A key of time with time zone: Debezium streams it at UTC (the offset lost), so the load reads it at UTC too, and a
     * change finds its loaded row. Before, every streamed change of a row loaded at another offset became a second row
     * (10:00:00+08 loaded, 02:00:00+00 streamed), and a delete left the loaded row live.
     */
    @Test
    void aTableKeyedByTimeWithTimeZoneStreamsItsChangesOntoTheLoadedRows() throws Exception {
        db.execute("CREATE TABLE r_tz (k timetz PRIMARY KEY, v int, t timetz)",
                "INSERT INTO r_tz VALUES ('10:00:00+08', 1, '10:00:00+08'), ('11:00:00+05:30', 1, NULL), ('12:00:00-03', 1, NULL),"
                        + " ('04:00:00+00', 1, NULL)");
        String rows = "SELECT (k AT TIME ZONE 'UTC')::text, v FROM r_tz ORDER BY 1";
        try (TestDatabase dest = TestDatabase.create("dest")) {
            pipelineName = "tzkeys_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication");
            assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
            db.execute("UPDATE r_tz SET v = 2 WHERE k = '10:00:00+08'", "DELETE FROM r_tz WHERE k = '12:00:00-03'",
                    "INSERT INTO r_tz VALUES ('23:30:00+09:30', 3, NULL)", "UPDATE r_tz SET v = 4 WHERE k = '04:00:00+00'");
            PipelineRun.Result result = run.once();
            assertThat(result.exitCode()).as("the streaming run succeeds: " + result.stderr()).isZero();
            assertThat(PipelineRun.pg(dest, "SELECT k::text, v FROM r_tz WHERE NOT _pgingest_deleted ORDER BY 1"))
                    .as("one live row per source key, the key at UTC (the same instant)")
                    .isEqualTo(PipelineRun.pg(db, rows))
                    .containsExactly(List.of("02:00:00+00", 2), List.of("04:00:00+00", 4), List.of("05:30:00+00", 1),
                            List.of("14:00:00+00", 3));
            assertThat(PipelineRun.pg(dest, "SELECT k::text FROM r_tz WHERE _pgingest_deleted"))
                    .as("the deleted key soft-deleted").containsExactly(List.of("15:00:00+00"));
        }
    }

    /**
     * A table's primary key changed while the pipeline streams (from id to code): its later changes are written by the
     * new key. Before, they went on under the old one: a row whose id changed stayed live beside its new version, and a
     * delete (its old row holding only code) became a soft-deleted row of id 0 while the deleted row stayed live.
     */
    @Test
    void aPrimaryKeyChangedWhileStreamingWritesTheLaterChangesByTheNewKey() throws Exception {
        db.execute("CREATE TABLE pkc (id int PRIMARY KEY, code text NOT NULL UNIQUE, v int)",
                "INSERT INTO pkc SELECT g, 'c' || g, 0 FROM generate_series(1, 10) g");
        pipeline();
        try (PipelineRun.Streaming streaming = run.stream()) {
            db.execute("UPDATE pkc SET v = 1 WHERE id = 1");
            awaitSlotPast(currentLsn(), 60);
            db.execute("ALTER TABLE pkc DROP CONSTRAINT pkc_pkey", "ALTER TABLE pkc ADD PRIMARY KEY (code)",
                    "UPDATE pkc SET id = id + 100 WHERE id <= 3", "DELETE FROM pkc WHERE id BETWEEN 5 AND 6",
                    "UPDATE pkc SET v = 7 WHERE code = 'c8'");
            awaitSlotPast(currentLsn(), 60);
            assertThat(streaming.stop()).as("the streaming run ended normally").isZero();
        }
        assertThat(run.duck("SELECT code, id, v FROM pkc WHERE NOT _pgingest_deleted ORDER BY code"))
                .as("the live rows are the source's").isEqualTo(PipelineRun.pg(db, "SELECT code, id, v FROM pkc ORDER BY code"));
    }

    private long currentLsn() throws java.sql.SQLException {
        return ((Number) PipelineRun.pg(db, "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").get(0).get(0)).longValue();
    }

    /** Waits until the pipeline's slot confirmed a position past {@code lsn}: the destination committed what came before. */
    private void awaitSlotPast(long lsn, int seconds) throws Exception {
        assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(seconds), () -> ((Number) PipelineRun.pg(db,
                "SELECT coalesce((SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM pg_replication_slots WHERE slot_name = 'pgingest_"
                        + pipelineName + "'), 0)").get(0).get(0)).longValue() > lsn)).as("the slot confirmed the changes").isTrue();
    }

    @Test
    void generatedColumnsArriveWithTheirValuesWhenStreamed() throws Exception {
        db.execute("CREATE TABLE calc (id int PRIMARY KEY, a int, doubled int GENERATED ALWAYS AS (a * 2) STORED)",
                "INSERT INTO calc (id, a) VALUES (1, 1)");
        pipeline();
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("INSERT INTO calc (id, a) VALUES (2, 2), (3, 3)", "UPDATE calc SET a = 10 WHERE id = 1",
                "DELETE FROM calc WHERE id = 3");
        assertThat(run.once().exitCode()).as("the streaming run succeeds").isZero();
        assertThat(run.duck("SELECT id, a, doubled FROM calc WHERE NOT _pgingest_deleted ORDER BY id"))
                .as("PostgreSQL does not send stored generated columns to logical replication: they are read back by key")
                .containsExactly(List.of(1, 10, 20), List.of(2, 2, 4));
        assertThat(run.duck("SELECT _pgingest_deleted FROM calc WHERE id = 3")).as("a row deleted meanwhile is left deleted")
                .containsExactly(List.of(true));
    }

    /**
     * A table without key cannot be read back by key: its stored generated columns are computed on the source from the
     * streamed row's values (their expression, which depends on nothing else). A column reading a type whose streamed
     * value does not go back exactly (an array) stays NULL in streamed rows.
     */
    @Test
    void generatedColumnsOfATableWithoutKeyAreComputedOnTheSourceWhenStreamed() throws Exception {
        db.execute("CREATE TABLE ledger (\"Who\" text, amount numeric(12,2), fee float8, at timestamptz, day date,"
                + " raw bytea, tags int[],"
                + " total numeric GENERATED ALWAYS AS (amount + fee::numeric) STORED,"
                + " \"Label\" text GENERATED ALWAYS AS (upper(\"Who\") || ' ' || coalesce(extract(epoch from at AT TIME ZONE"
                + "   'UTC')::text, '-') || ' ' || coalesce(extract(julian from day)::text, '-') || ' '"
                + "   || coalesce(encode(raw, 'hex'), '-')) STORED,"
                + " tag_count int GENERATED ALWAYS AS (cardinality(tags)) STORED)",
                "ALTER TABLE ledger REPLICA IDENTITY FULL",
                "INSERT INTO ledger VALUES ('ann', 1.50, 0.25, '2026-01-02 03:04:05.123456+01', '2026-01-02', '\\x0102', '{1,2}')");
        pipeline();
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("INSERT INTO ledger VALUES ('bob', 1000000.99, 1e-3, 'infinity', 'infinity', '\\x', '{3}'),"
                        + " ('cy', -2.00, 'NaN', NULL, NULL, NULL, NULL), ('dee', 0, 0.1, '1999-12-31 23:59:59.999999-08', '0001-01-01',"
                        + " '\\xff00', '{}'), ('eve', 1, 1, '0100-01-01 00:00:00.5+00 BC', '0044-03-15 BC', NULL, NULL),"
                        + " ('fay', 2, 2, '12345-06-07 08:09:10+00', '12345-06-07', NULL, NULL)",
                "UPDATE ledger SET amount = 3.00 WHERE \"Who\" = 'ann'");
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        List<List<Object>> source = PipelineRun.pg(db, "SELECT \"Who\", total::text, \"Label\" FROM ledger ORDER BY \"Who\"");
        assertThat(source).hasSize(6);
        assertThat(run.duck("SELECT \"Who\", total::VARCHAR, \"Label\" FROM ledger"
                + " WHERE _pgingest_position > (SELECT min(_pgingest_position) FROM ledger) AND NOT _pgingest_deleted ORDER BY \"Who\""))
                .as("the streamed rows (the insert of ann's row was loaded) hold the source's generated values")
                .containsExactlyElementsOf(source);
        assertThat(run.duck("SELECT count(*) FROM ledger WHERE tag_count IS NOT NULL AND _pgingest_position >"
                + " (SELECT min(_pgingest_position) FROM ledger)")).as("an expression over an array column is not computed")
                .containsExactly(List.of(0L));
    }

    /**
     * Arrays whose streamed elements are strings (composite and domain elements, domains over arrays) cannot be read
     * back in a table without key: their streamed elements are cast back to the column's type on the source, so that
     * they arrive as a load writes them. A two-dimensional one keeps its streamed form.
     */
    @Test
    void arraysOfCompositesAndDomainsOfATableWithoutKeyArriveAsTheyLoad() throws Exception {
        db.execute("CREATE TYPE pair AS (n int, s text)", "CREATE DOMAIN posint AS int CHECK (VALUE > 0)",
                "CREATE DOMAIN ints AS int[]",
                "CREATE TABLE bag (label text, pairs pair[], nums posint[], dom ints, grid pair[])",
                "ALTER TABLE bag REPLICA IDENTITY FULL",
                "INSERT INTO bag VALUES ('loaded', '{\"(1,\\\"x y\\\")\",\"(2,z)\"}', '{5,6}', '{7,8}', NULL)");
        pipeline();
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("INSERT INTO bag VALUES ('streamed', '{\"(3,\\\"a,b\\\")\",NULL,\"(,)\"}', '{9}', '{}',"
                + " '{{\"(1,a)\"},{\"(2,b)\"}}'), ('nulls', NULL, NULL, NULL, NULL)");
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        List<List<Object>> source = PipelineRun.pg(db, "SELECT label, array_to_json(pairs)::text, array_to_json(nums)::text,"
                + " array_to_json(dom)::text FROM bag ORDER BY label");
        assertThat(run.duck("SELECT label, pairs, nums, dom FROM bag ORDER BY label"))
                .as("streamed rows hold what the load wrote for the loaded one: the source's array_to_json")
                .containsExactlyElementsOf(source);
        assertThat(run.duck("SELECT grid FROM bag WHERE label = 'streamed'")).as("two dimensions: as streamed")
                .containsExactly(List.of("[[\"(1,a)\"],[\"(2,b)\"]]"));
    }

    @Test
    void mixedCaseAndQuotedNamesInAnotherSchemaStreamLikeTheyLoad() throws Exception {
        db.execute("CREATE SCHEMA \"Sales\"",
                "CREATE TABLE \"Sales\".\"Order Lines\" (\"Id\" int PRIMARY KEY, \"Unit Price\" numeric(8,2),"
                        + " \"select\" text, \"naïve\" text)",
                "INSERT INTO \"Sales\".\"Order Lines\" VALUES (1, 1.50, 'a', 'x')",
                "CREATE SCHEMA \"Région\"", "CREATE TABLE \"Région\".\"Cafés\" (id int PRIMARY KEY, \"crème\" text)",
                "INSERT INTO \"Région\".\"Cafés\" VALUES (1, 'brûlée')");
        pipeline("schemas", "public, \"Sales\", \"Région\"", "objects", "\"Sales\".*\n\"Région\".*");
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("INSERT INTO \"Sales\".\"Order Lines\" VALUES (2, 2.50, 'b', 'y')",
                "UPDATE \"Sales\".\"Order Lines\" SET \"select\" = 'a2' WHERE \"Id\" = 1",
                "INSERT INTO \"Région\".\"Cafés\" VALUES (2, 'au lait')", "UPDATE \"Région\".\"Cafés\" SET \"crème\" = 'fraîche' WHERE id = 1");
        assertThat(run.once().exitCode()).as("the streaming run succeeds").isZero();
        List<List<Object>> cafes = run.duck("SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%caf%'");
        assertThat(cafes).as("one destination table for the non-ASCII names").hasSize(1);
        assertThat(run.duck("SELECT * EXCLUDE (_pgingest_ingested_at, _pgingest_loaded_at, _pgingest_position, _pgingest_deleted,"
                + " _pgingest_database)"
                + " FROM \"" + cafes.get(0).get(0) + "\" ORDER BY 1"))
                .as("the changes of a table and column named outside ASCII (Debezium garbles such names)")
                .containsExactly(List.of(1, "fraîche"), List.of(2, "au lait"));
        List<List<Object>> tables = run.duck("SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%order%'");
        assertThat(tables).as("one destination table").hasSize(1);
        String table = (String) tables.get(0).get(0);
        List<List<Object>> columns = run.duck("SELECT column_name FROM information_schema.columns WHERE table_name = '"
                + table + "' AND column_name NOT LIKE '\\_pgingest%' ESCAPE '\\' ORDER BY ordinal_position");
        assertThat(columns).as("four source columns").hasSize(4);
        String select = columns.stream().map(c -> "\"" + c.get(0) + "\"").collect(java.util.stream.Collectors.joining(", "));
        assertThat(run.duck("SELECT " + select + " FROM \"" + table + "\" ORDER BY 1"))
                .as("loaded and streamed rows in the same columns")
                .containsExactly(List.of(1, new java.math.BigDecimal("1.50"), "a2", "x"),
                        List.of(2, new java.math.BigDecimal("2.50"), "b", "y"));
    }

    @Test
    void aTableKeyedByAUniqueIndexAsReplicaIdentityStreamsUpdatesAndDeletes() throws Exception {
        db.execute("CREATE TABLE codes (code text NOT NULL, label text)", "CREATE UNIQUE INDEX codes_code ON codes (code)",
                "ALTER TABLE codes REPLICA IDENTITY USING INDEX codes_code", "INSERT INTO codes VALUES ('a', 'A'), ('b', 'B')");
        pipeline();
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("UPDATE codes SET label = 'A2' WHERE code = 'a'", "DELETE FROM codes WHERE code = 'b'",
                "INSERT INTO codes VALUES ('c', 'C')");
        assertThat(run.once().exitCode()).as("the streaming run succeeds").isZero();
        assertThat(run.duck("SELECT code, label, _pgingest_deleted FROM codes ORDER BY code"))
                .as("upserted and deleted by the unique index's column")
                .containsExactly(List.of("a", "A2", false), List.of("b", "B", true), List.of("c", "C", false));
    }

    /**
     * A table with a primary key whose REPLICA IDENTITY is another unique index: the WAL identifies a deleted or re-keyed
     * row by that index's columns only, so the table is keyed by them. Before the twentieth session it was keyed by its
     * primary key: a delete became a soft-deleted row of key 0 and the deleted row stayed live, and an update of the
     * primary key left the old row live beside the new one.
     */
    @Test
    void aTableWithAPrimaryKeyAndAnotherReplicaIdentityIndexStreamsDeletesAndKeyChanges() throws Exception {
        db.execute("CREATE TABLE ri (id int PRIMARY KEY, code text NOT NULL UNIQUE, v int)",
                "ALTER TABLE ri REPLICA IDENTITY USING INDEX ri_code_key",
                "INSERT INTO ri SELECT g, 'c' || g, 0 FROM generate_series(1, 10) g");
        pipeline();
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("DELETE FROM ri WHERE id = 1", "UPDATE ri SET id = 20 WHERE id = 2", "UPDATE ri SET v = 5 WHERE id = 3",
                "UPDATE ri SET code = 'x4' WHERE id = 4", "UPDATE ri SET code = 'x5', id = 50 WHERE id = 5",
                "UPDATE ri SET code = 'c6' || 'b' WHERE id = 6", "INSERT INTO ri VALUES (6000, 'c6', 6)");
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as("the streaming run succeeds: " + result.stderr()).isZero();
        assertThat(run.duck("SELECT id, code, v FROM ri WHERE NOT _pgingest_deleted ORDER BY code"))
                .as("the live rows are the source's").isEqualTo(PipelineRun.pg(db, "SELECT id, code, v FROM ri ORDER BY code"));
        assertThat(run.duck("SELECT code FROM ri WHERE _pgingest_deleted ORDER BY code"))
                .as("the deleted row and the old codes, soft-deleted; no invented row")
                .containsExactly(List.of("c1"), List.of("c4"), List.of("c5"));
    }

    @Test
    void aColumnWhoseTypeChangesWhileStreamingKeepsArriving() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("ALTER TABLE items ALTER COLUMN price TYPE numeric(14,4)", "ALTER TABLE items ALTER COLUMN name TYPE varchar(40)",
                "INSERT INTO items VALUES (7, 'seven', 1234567.1234, NULL)", "UPDATE items SET price = 0.0001 WHERE id = 1");
        assertThat(run.once().exitCode()).as("the streaming run succeeds").isZero();
        assertThat(run.duck("SELECT id, name, CAST(price AS VARCHAR) FROM items WHERE id IN (1, 7) ORDER BY id"))
                .as("the widened values arrive whole")
                .containsExactly(List.of(1, "one", "0.0001"), List.of(7, "seven", "1234567.1234"));
    }

    /**
     * A column's type changed while the pipeline streams (integer to numeric(20,5)): the changes after it arrive with
     * their new values, without stopping the pipeline.
     */
    @Test
    void aColumnWhoseTypeChangesWhileThePipelineStreamsKeepsArriving() throws Exception {
        db.execute("CREATE TABLE tc (id int PRIMARY KEY, i int)", "INSERT INTO tc VALUES (1, 1), (2, 2)");
        try (TestDatabase dest = TestDatabase.create("dest")) {
            pipelineName = "typechg_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication");
            try (PipelineRun.Streaming streaming = run.stream()) {
                db.execute("INSERT INTO tc VALUES (3, 3)");
                awaitRows(dest, "SELECT i::text FROM tc WHERE id = 3", List.of(List.of("3")), 60);
                db.execute("ALTER TABLE tc ALTER COLUMN i TYPE numeric(20,5)", "INSERT INTO tc VALUES (4, 1.12345)",
                        "UPDATE tc SET i = 2.5 WHERE id = 2");
                List<List<Object>> source = PipelineRun.pg(db, "SELECT id, i::text FROM tc ORDER BY id");
                assertThat(source).containsExactly(List.of(1, "1.00000"), List.of(2, "2.50000"), List.of(3, "3.00000"),
                        List.of(4, "1.12345"));
                awaitRows(dest, "SELECT id, i::text FROM tc ORDER BY id", source, 60);
                assertThat(streaming.stop()).as("the streaming run ended normally").isZero();
            }
        }
    }

    /**
     * A column renamed while the pipeline was stopped: its values in the rows no change touched arrive under the new name
     * (re-loaded, as for a column added with a DEFAULT); before, the new column was NULL in those rows. The old column
     * stays with its values, as a dropped one does.
     */
    @Test
    void aColumnRenamedWhileThePipelineWasStoppedArrivesWithTheValuesOfEveryRow() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("ALTER TABLE items RENAME COLUMN name TO title", "UPDATE items SET price = 9.99 WHERE id = 1");
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as("the streaming run succeeds: " + result.stderr()).isZero();
        assertThat(run.duck("SELECT id, title, name, CAST(price AS VARCHAR) FROM items ORDER BY id"))
                .containsExactly(List.of(1, "one", "one", "9.99"), List.of(2, "two", "two", "2.20"),
                        List.of(3, "three", "three", "3.30"));
    }

    /** {@link #aColumnRenamedWhileThePipelineWasStoppedArrivesWithTheValuesOfEveryRow} while the pipeline streams. */
    @Test
    void aColumnRenamedWhileThePipelineStreamsArrivesWithTheValuesOfEveryRow() throws Exception {
        try (TestDatabase dest = TestDatabase.create("dest")) {
            pipelineName = "colren_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication");
            try (PipelineRun.Streaming streaming = run.stream()) {
                db.execute("UPDATE items SET price = 1.11 WHERE id = 1");
                awaitRows(dest, "SELECT price::text FROM items WHERE id = 1", List.of(List.of("1.11")), 60);
                db.execute("ALTER TABLE items RENAME COLUMN name TO title", "UPDATE items SET price = 9.99 WHERE id = 1");
                awaitRows(dest, "SELECT id, title, price::text FROM items ORDER BY id", List.of(List.of(1, "one", "9.99"),
                        List.of(2, "two", "2.20"), List.of(3, "three", "3.30")), 60);
                assertThat(streaming.stop()).as("the streaming run ended normally").isZero();
            }
        }
    }

    /**
     * A column dropped and added again under the same name and type while the pipeline streams (with a DEFAULT, and
     * without): the rows no change touched get the new column's values (the default, or NULL). Before, nothing told
     * the change (the record schema stays the same): they kept the old column's values.
     */
    @Test
    void aColumnDroppedAndAddedAgainUnderItsNameWhileStreamingGetsItsNewValues() throws Exception {
        db.execute("CREATE TABLE dc (id int PRIMARY KEY, x text, y text)", "INSERT INTO dc VALUES (1, 'x1', 'y1'), (2, 'x2', 'y2')");
        try (TestDatabase dest = TestDatabase.create("dest")) {
            pipelineName = "readd_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication");
            try (PipelineRun.Streaming streaming = run.stream()) {
                db.execute("INSERT INTO dc VALUES (3, 'x3', 'y3')");
                awaitRows(dest, "SELECT count(*) FROM dc", List.of(List.of(3L)), 60);
                db.execute("ALTER TABLE dc DROP COLUMN y", "ALTER TABLE dc ADD COLUMN y text DEFAULT 'dflt'",
                        "ALTER TABLE dc DROP COLUMN x", "ALTER TABLE dc ADD COLUMN x text", "INSERT INTO dc VALUES (4, 'y4', 'x4')");
                List<List<Object>> source = PipelineRun.pg(db, "SELECT id, x, y FROM dc ORDER BY id");
                assertThat(source).containsExactly(java.util.Arrays.asList(1, null, "dflt"), java.util.Arrays.asList(2, null, "dflt"),
                        java.util.Arrays.asList(3, null, "dflt"), List.of(4, "x4", "y4"));
                awaitRows(dest, "SELECT id, x, y FROM dc ORDER BY id", source, 60);
                // the last column dropped and added again: the same record schema, only the catalog tells
                db.execute("ALTER TABLE dc DROP COLUMN x", "ALTER TABLE dc ADD COLUMN x text DEFAULT 'xx'",
                        "INSERT INTO dc (id, y) VALUES (5, 'y5')");
                awaitRows(dest, "SELECT id, x, y FROM dc ORDER BY id", PipelineRun.pg(db, "SELECT id, x, y FROM dc ORDER BY id"), 60);
                assertThat(streaming.stop()).as("the streaming run ended normally").isZero();
            }
        }
    }

    @Test
    void aTableRenamedWhileStreamingArrivesUnderItsNewNameWithEveryRow() throws Exception {
        try (TestDatabase dest = TestDatabase.create("renamedest")) {
            pipelineName = "rename_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication");
            try (PipelineRun.Streaming streaming = run.stream()) {
                db.execute("INSERT INTO items VALUES (5, 'five', 5.50, NULL)");
                assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60),
                        () -> PipelineRun.pg(dest, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'items'")
                                .get(0).get(0).equals(1L) && PipelineRun.pg(dest, "SELECT count(*) FROM items").get(0).get(0).equals(4L)))
                        .as("loaded, and streaming").isTrue();
                db.execute("UPDATE items SET name = 'ONE' WHERE id = 1", "ALTER TABLE items RENAME TO goods",
                        "INSERT INTO goods VALUES (8, 'eight', 8.80, NULL)", "UPDATE goods SET name = 'TWO' WHERE id = 2");
                assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60), () -> !PipelineRun.pg(dest,
                        "SELECT 1 FROM information_schema.tables WHERE table_name = 'goods'").isEmpty()
                        && PipelineRun.pg(dest, "SELECT name FROM goods WHERE id = 2").equals(List.of(List.of("TWO")))))
                        .as("the renamed table arrives").isTrue();
                assertThat(PipelineRun.pg(dest, "SELECT id, name, _pgingest_deleted FROM goods ORDER BY id"))
                        .as("the table under its new name holds every row as the source does")
                        .containsExactly(List.of(1, "ONE", false), List.of(2, "TWO", false), List.of(3, "three", false),
                                List.of(5, "five", false), List.of(8, "eight", false));
                assertThat(PipelineRun.pg(dest, "SELECT name FROM items WHERE id = 1"))
                        .as("the old name's table got the change made before the rename, and stays").containsExactly(List.of("ONE"));
            }
        }
    }

    @Test
    void twoDatabasesMergedIntoOneTableKeepTheirRowsApartThroughDeletesAndTruncates() throws Exception {
        try (TestDatabase other = TestDatabase.create("logical_other")) {
            other.execute("CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), seen timestamptz)",
                    "INSERT INTO items VALUES (1, 'other one', 9.10, NULL), (2, 'other two', 9.20, NULL)");
            pipeline(); // mergeTables defaults to true
            run.pipeline("other_" + other.suffix(), other, "mode", "logical-replication");
            try {
                assertThat(run.once().exitCode()).as("both historical loads succeed").isZero();
                db.execute("DELETE FROM items WHERE id = 1", "UPDATE items SET name = 'TWO' WHERE id = 2");
                other.execute("TRUNCATE items", "INSERT INTO items VALUES (3, 'other three', 9.30, NULL)");
                assertThat(run.once().exitCode()).as("both streaming runs succeed").isZero();
                assertThat(run.duck("SELECT _pgingest_database = '" + db.name() + "', id, name, _pgingest_deleted FROM items"
                        + " ORDER BY 1 DESC, 2"))
                        .as("one table; each database's changes apply to its own rows only")
                        .containsExactly(List.of(true, 1, "one", true), List.of(true, 2, "TWO", false),
                                List.of(true, 3, "three", false), List.of(false, 1, "other one", true),
                                List.of(false, 2, "other two", true), List.of(false, 3, "other three", false));
            } finally {
                other.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '"
                        + other.name() + "'");
            }
        }
    }

    /**
     * A column dropped and added again under its name with another type while the pipeline was stopped: the new
     * column's values arrive, in the rows no change touched too (NULL here). Before the twentieth session those kept the
     * old column's values.
     */
    @Test
    void aColumnDroppedAndAddedAgainWithAnotherTypeWhileStoppedArrives() throws Exception {
        pipeline();
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("ALTER TABLE items DROP COLUMN name", "ALTER TABLE items ADD COLUMN name int",
                "INSERT INTO items VALUES (9, 9.90, NULL, 99)", "UPDATE items SET name = 11 WHERE id = 1");
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as("the streaming run succeeds: " + result.stderr()).isZero();
        assertThat(run.duck("SELECT id, CAST(name AS VARCHAR) FROM items WHERE id IN (1, 2, 9) ORDER BY id"))
                .as("the new column's values arrive (the destination column widened to hold both), NULL in the rows"
                        + " no change touched, as at the source")
                .containsExactly(List.of(1, "11"), java.util.Arrays.asList(2, null), List.of(9, "99"));
    }

    /**
     * A column dropped and added again under its name and type while the pipeline was stopped, with changes of the old
     * column still in the slot, read in batches after the first one: every row ends with the new column's value. The
     * slot's changes made before the drop are written without the column (they carry the old column's values).
     */
    @Test
    void aColumnDroppedAndAddedAgainWhileStoppedTakesTheNewValuesOverTheSlotsOldChanges() throws Exception {
        db.execute("CREATE TABLE filler (id int PRIMARY KEY)");
        pipeline("batchSize", "10");
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("INSERT INTO filler SELECT generate_series(1, 60)", "UPDATE items SET name = 'old-one' WHERE id = 1",
                "INSERT INTO items VALUES (4, 'old-four', 4.40, NULL)",
                "ALTER TABLE items DROP COLUMN name", "ALTER TABLE items ADD COLUMN name text DEFAULT 'fresh'",
                "UPDATE items SET name = 'new-two' WHERE id = 2");
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as("the streaming run succeeds: " + result.stderr()).isZero();
        List<List<Object>> source = PipelineRun.pg(db, "SELECT id, name FROM items ORDER BY id");
        assertThat(source).containsExactly(List.of(1, "fresh"), List.of(2, "new-two"), List.of(3, "fresh"), List.of(4, "fresh"));
        assertThat(run.duck("SELECT id, name FROM items WHERE NOT _pgingest_deleted ORDER BY id"))
                .as("the new column's values, not the old column's from the slot's earlier changes").isEqualTo(source);
        db.execute("UPDATE items SET name = 'later' WHERE id = 3");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT id, name FROM items WHERE NOT _pgingest_deleted ORDER BY id"))
                .as("a later change arrives whole").isEqualTo(PipelineRun.pg(db, "SELECT id, name FROM items ORDER BY id"));
    }

    /**
     * A column's type changed with {@code USING} (every row rewritten with another value) while the pipeline was stopped,
     * with changes of the column made before still in the slot, read after the first batch: every row gets the value
     * the rewrite gave it. Before the twentieth session the rows no change touched kept their old values.
     */
    @Test
    void aColumnRewrittenByAlterTypeUsingWhileStoppedGetsEveryRowsNewValue() throws Exception {
        db.execute("CREATE TABLE filler (id int PRIMARY KEY)", "CREATE TABLE rw (id int PRIMARY KEY, v int, w text)",
                "INSERT INTO rw SELECT g, g, 'w' || g FROM generate_series(1, 30) g");
        pipeline("batchSize", "10");
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("INSERT INTO filler SELECT generate_series(1, 60)", "UPDATE rw SET v = 7 WHERE id = 1",
                "ALTER TABLE rw ALTER COLUMN v TYPE bigint USING v * 100", "UPDATE rw SET w = 'changed' WHERE id = 2",
                "UPDATE rw SET v = 5 WHERE id = 3");
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as("the streaming run succeeds: " + result.stderr()).isZero();
        List<List<Object>> source = PipelineRun.pg(db, "SELECT id, v::text, w FROM rw ORDER BY id");
        assertThat(source.subList(0, 4)).containsExactly(List.of(1, "700", "w1"), List.of(2, "200", "changed"),
                List.of(3, "5", "w3"), List.of(4, "400", "w4"));
        assertThat(run.duck("SELECT id, CAST(v AS VARCHAR), w FROM rw WHERE NOT _pgingest_deleted ORDER BY id"))
                .as("every row with the value the rewrite gave it").isEqualTo(source);
    }

    /**
     * A column's type changed with {@code USING} while the pipeline streams: the rows no change touched get the value
     * the rewrite gave them (re-read). A change of type that keeps the values (a longer varchar: no rewrite) re-reads
     * nothing.
     */
    @Test
    void aColumnRewrittenByAlterTypeUsingWhileStreamingGetsEveryRowsNewValue() throws Exception {
        db.execute("CREATE TABLE rw (id int PRIMARY KEY, v int, w varchar(10))",
                "INSERT INTO rw SELECT g, g, 'w' || g FROM generate_series(1, 5) g");
        try (TestDatabase dest = TestDatabase.create("dest")) {
            pipelineName = "rewrite_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication");
            ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log = new ch.qos.logback.core.read.ListAppender<>();
            log.start();
            ch.qos.logback.classic.Logger tracker = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                    "io.pgingest.source.logical.SchemaTracker");
            tracker.addAppender(log);
            try (PipelineRun.Streaming streaming = run.stream()) {
                db.execute("UPDATE rw SET v = 10 WHERE id = 1");
                awaitRows(dest, "SELECT v::text FROM rw WHERE id = 1", List.of(List.of("10")), 60);
                db.execute("ALTER TABLE rw ALTER COLUMN w TYPE varchar(40)", "UPDATE rw SET w = 'a longer value' WHERE id = 2");
                awaitRows(dest, "SELECT w FROM rw WHERE id = 2", List.of(List.of("a longer value")), 60);
                db.execute("ALTER TABLE rw ALTER COLUMN v TYPE numeric(12,2) USING v * 1.5", "UPDATE rw SET w = 'w4' WHERE id = 4");
                List<List<Object>> source = PipelineRun.pg(db, "SELECT id, v::text, w FROM rw ORDER BY id");
                assertThat(source.get(0)).isEqualTo(List.of(1, "15.00", "w1"));
                awaitRows(dest, "SELECT id, v::text, w FROM rw ORDER BY id", source, 60);
                assertThat(streaming.stop()).as("the streaming run ended normally").isZero();
            } finally {
                tracker.detachAppender(log);
            }
            List<String> reloads = log.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.contains(pipelineName) && m.contains("re-loaded")).toList();
            assertThat(reloads).as("the rewritten column re-read, the widened one not")
                    .singleElement().asString().contains("re-loaded the added or changed columns [v] of public.rw");
        }
    }

    /**
     * Columns dropped and added again under their names with another type (text to boolean, and a column renamed away and
     * another added under its name), or rewritten with a new type (text to int USING), in the transaction of changes made
     * before and after: the changes made before carry
     * the old columns' values, which the new types cannot take. They are written without them and the columns re-read
     * (before the twenty-second session the batch failed on every retry and the pipeline stopped, found by the session's
     * probe).
     */
    @Test
    void columnsDroppedAndAddedAgainWithAnotherTypeWhileStreamingAreReRead() throws Exception {
        db.execute("CREATE TABLE rs (id int PRIMARY KEY, e text, b text, x int, c text)",
                "INSERT INTO rs SELECT g, (g * 7)::text, 'b' || g, g, 'c' || g FROM generate_series(1, 10) g");
        try (TestDatabase dest = TestDatabase.create("dest")) {
            pipelineName = "readd_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication",
                    "retrySeconds", "3");
            try (PipelineRun.Streaming streaming = run.stream()) {
                awaitRows(dest, "SELECT count(*) FROM rs", List.of(List.of(10L)), 60);
                db.execute("BEGIN; UPDATE rs SET x = -id, e = 'gone', b = 'old', c = 'hello' WHERE id <= 3;"
                        + " ALTER TABLE rs ALTER COLUMN c TYPE int USING length(c); ALTER TABLE rs DROP COLUMN e;"
                        + " ALTER TABLE rs ADD COLUMN e boolean DEFAULT true; ALTER TABLE rs RENAME COLUMN b TO b_old;"
                        + " ALTER TABLE rs ADD COLUMN b int DEFAULT 42; UPDATE rs SET x = 100, e = false, b = 7 WHERE id = 10;"
                        + " COMMIT");
                // as text: the destination columns keep the type they had (text holds both), see docs/type-mapping.md
                String rows = "SELECT id, x, e::text, b::text, b_old, c::text FROM rs ORDER BY id";
                List<List<Object>> source = PipelineRun.pg(db, rows);
                assertThat(source.get(0)).isEqualTo(List.of(1, -1, "true", "42", "old", "5"));
                awaitRows(dest, rows, source, 60);
                assertThat(streaming.stop()).as("the streaming run ended normally").isZero();
            }
        }
    }

    @Test
    void aTableWithInheritingChildrenHoldsOnlyItsOwnRowsLikeTheStream() throws Exception {
        db.execute("CREATE TABLE animals (id int PRIMARY KEY, name text)",
                "CREATE TABLE dogs (id int PRIMARY KEY, breed text) INHERITS (animals)",
                "INSERT INTO animals VALUES (1, 'cat')", "INSERT INTO dogs VALUES (2, 'rex', 'collie')");
        pipeline("objects", "public.animals\npublic.dogs");
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("UPDATE dogs SET name = 'REX' WHERE id = 2", "INSERT INTO animals VALUES (3, 'cow')");
        assertThat(run.once().exitCode()).as("the streaming run succeeds").isZero();
        assertThat(run.duck("SELECT id, name FROM animals ORDER BY id"))
                .as("the parent's own rows only (the stream sends the child's changes as the child's)")
                .containsExactly(List.of(1, "cat"), List.of(3, "cow"));
        assertThat(run.duck("SELECT id, name, breed FROM dogs ORDER BY id")).containsExactly(List.of(2, "REX", "collie"));
    }

    @Test
    void aLoadWhoseSourceConnectionIsLostGoesOnOverANewOne() throws Exception {
        db.execute("CREATE TABLE big (id int PRIMARY KEY, v text)",
                "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 200000) g");
        try (TestDatabase dest = TestDatabase.create("lostdest")) {
            pipelineName = "lost_" + db.suffix();
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication",
                    "objects", "public.big", "batchSize", "2000");
            try (PipelineRun.Streaming streaming = run.stream()) {
                assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60), () -> !PipelineRun.pg(dest,
                        "SELECT 1 FROM information_schema.tables WHERE table_name = 'big'").isEmpty()
                        && ((Number) PipelineRun.pg(dest, "SELECT count(*) FROM big").get(0).get(0)).longValue() > 0))
                        .as("the load began").isTrue();
                String walSender = "SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'pgingest_" + pipelineName + "'";
                assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60), () -> PipelineRun.pg(db, walSender).get(0).get(0) != null))
                        .as("the engine streams while the rows load").isTrue();
                Object senderBefore = PipelineRun.pg(db, walSender).get(0).get(0);
                // pg-ingest's sessions on the source (the loading one among them) are terminated: 57P01
                db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND backend_type = 'client backend' AND application_name = 'pg-ingest " + pipelineName + "'");
                assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(90), () ->
                        ((Number) PipelineRun.pg(dest, "SELECT count(*) FROM big").get(0).get(0)).longValue() == 200000L))
                        .as("every row arrives").isTrue();
                db.execute("INSERT INTO big VALUES (200001, 'after')");
                assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60), () ->
                        PipelineRun.pg(dest, "SELECT v FROM big WHERE id = 200001").equals(List.of(List.of("after")))))
                        .as("and the pipeline streams").isTrue();
                // While the loads waited for the source, the engine let its replication connection go (a source server
                // shutting down waits for every logical WAL sender's client), and a new one streams now.
                assertThat(PipelineRun.pg(db, walSender).get(0).get(0)).as("the WAL sender streaming now").isNotNull()
                        .isNotEqualTo(senderBefore);
            }
        }
    }
}
