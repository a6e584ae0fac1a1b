package io.pgingest.it;

import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code keylessTables: match} end to end: a table without key under REPLICA IDENTITY FULL, its updates and deletes
 * matched on the row's values at the destination, so that its live rows (not {@code _pgingest_deleted}) are the source's
 * rows, duplicates included; into DuckDB and into PostgreSQL, and when a run stopped inside a transaction has the next
 * one read it again.
 */
class KeylessMatchIT {

    @TempDir
    Path tmp;

    private TestDatabase db;
    private PipelineRun run;
    private String pipelineName;

    /** The source rows, compared as text: the same query at the source and at the destination (live rows). */
    private static final String ROWS = "SELECT CAST(n AS VARCHAR), v, CAST(length(big) AS VARCHAR),"
            + " CAST(CAST(round(f * 1000) AS BIGINT) AS VARCHAR), CAST(d AS VARCHAR) FROM bag";

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabase.create("keyless");
        // big: a TOASTed value (random, so that it is stored out of line) that updates of other columns leave unchanged
        db.execute("CREATE TABLE bag (n int, v text, big text, f float8, d numeric)", "ALTER TABLE bag REPLICA IDENTITY FULL",
                "INSERT INTO bag VALUES (1, 'a', NULL, 1.5, 1.50), (1, 'a', NULL, 1.5, 1.50), (2, 'b', NULL, NULL, NULL),"
                        + " (3, NULL, NULL, 0.1, 3), (4, 'toast', (SELECT string_agg(md5(random()::text), '') FROM"
                        + " generate_series(1, 2000)), 2, 2)");
        run = new PipelineRun(tmp);
        pipelineName = "bag_" + db.suffix();
    }

    @AfterEach
    void dropSlotsAndDatabase() throws Exception {
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.name() + "'");
        db.close();
    }

    @Test
    void intoDuckDbTheLiveRowsAreTheSourcesRows() throws Exception {
        run.pipeline(pipelineName, db, "mode", "logical-replication", "objects", "public.bag", "keylessTables", "match",
                "retrySeconds", "3");
        changeAndCompare(sql -> run.duck(sql));
    }

    @Test
    void intoPostgresTheLiveRowsAreTheSourcesRows() throws Exception {
        try (TestDatabase dest = TestDatabase.create("keylessdest")) {
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication", "objects",
                    "public.bag", "keylessTables", "match", "retrySeconds", "3");
            changeAndCompare(sql -> PipelineRun.pg(dest, sql));
        }
    }

    /** The pipeline of table bag into PostgreSQL {@code dest}, its batches of {@code batchSize} changes. */
    private void bagIntoPostgres(TestDatabase dest, String keylessTables, int batchSize) throws Exception {
        run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication", "objects",
                "public.bag", "keylessTables", keylessTables, "batchSize", Integer.toString(batchSize), "retrySeconds", "1");
    }

    /** A trigger of table bag in {@code dest} ({@code when}, e.g. BEFORE INSERT) failing the rows that meet {@code condition}. */
    private static void refuse(TestDatabase dest, String when, String condition) throws Exception {
        PipelineRun.refuse(dest, "bag", when, condition);
    }

    private interface Query {
        List<List<Object>> rows(String sql) throws Exception;
    }

    private void changeAndCompare(Query destination) throws Exception {
        PipelineRun.Result first = run.once();
        assertThat(first.exitCode()).as(first.stderr()).isZero();
        assertLiveRowsEqualTheSource(destination, "after the load");

        db.execute(
                // one of two equal rows changed: the other stays
                "UPDATE bag SET v = 'A' WHERE ctid = (SELECT min(ctid) FROM bag WHERE n = 1)",
                // a row with NULLs deleted (NULLs match)
                "DELETE FROM bag WHERE n = 3",
                // the TOASTed value unchanged: the new row takes it from the old one
                "UPDATE bag SET f = 3 WHERE n = 4",
                // several changes of one row in a transaction, and a row inserted and deleted in one
                "BEGIN; UPDATE bag SET v = 'b1' WHERE n = 2; UPDATE bag SET v = 'b2' WHERE n = 2;"
                        + " INSERT INTO bag VALUES (9, 'gone', NULL, NULL, NULL); DELETE FROM bag WHERE n = 9; COMMIT",
                // equal rows added, then one of them deleted
                "INSERT INTO bag VALUES (5, 'e', NULL, NULL, NULL), (5, 'e', NULL, NULL, NULL), (5, 'e', NULL, NULL, NULL)",
                "DELETE FROM bag WHERE ctid = (SELECT max(ctid) FROM bag WHERE n = 5)");
        PipelineRun.Result second = run.once();
        assertThat(second.exitCode()).as(second.stderr()).isZero();
        assertLiveRowsEqualTheSource(destination, "after the changes");
        assertThat(sorted(destination.rows("SELECT CAST(n AS VARCHAR), v FROM bag WHERE _pgingest_deleted AND (n IN (1, 3, 4)"
                + " OR v = 'b')"))).as("a removed row is soft-deleted, once: the old rows of the updates, the deleted row")
                .containsExactly(List.of("1", "a"), Arrays.asList("2", "b"), Arrays.asList("3", null), List.of("4", "toast"));

        db.execute("UPDATE bag SET n = n + 100");
        PipelineRun.Result third = run.once();
        assertThat(third.exitCode()).as(third.stderr()).isZero();
        assertLiveRowsEqualTheSource(destination, "after an update of every row");
    }

    /**
     * A transaction that inserts rows and deletes them again, its run failing after some of its batches were written,
     * read again in batches of other bounds (here a larger batchSize): the changes written are left out by their numbers
     * and the others applied, so that the rows end deleted. (A version that netted a transaction's additions against its
     * removals within each batch left the rows of the first run's batches live: the replayed batch held their additions
     * and removals together and wrote neither.)
     */
    @Test
    void aTransactionThatInsertsAndDeletesReadAgainInOtherBatchesEndsWithTheRowsDeleted() throws Exception {
        try (TestDatabase dest = TestDatabase.create("keylessdest")) {
            bagIntoPostgres(dest, "match", 1000);
            assertThat(run.once().exitCode()).isZero();
            refuse(dest, "BEFORE UPDATE", "NEW.n = 1500 AND NEW._pgingest_deleted");
            // one row, then each row inserted and deleted at once: the first batch (1,000 changes) ends with the insert of
            // row 1500, the second begins with its delete
            db.execute("DO $$ BEGIN INSERT INTO bag VALUES (999, 'temporary', NULL, NULL, NULL);"
                    + " FOR g IN 1001..2000 LOOP INSERT INTO bag VALUES (g, 'temporary', NULL, NULL, NULL);"
                    + " DELETE FROM bag WHERE n = g; END LOOP; END $$");
            assertThat(run.once().exitCode()).as("the batch deleting row 1500 fails the run").isNotZero();
            assertThat((Long) PipelineRun.pg(dest, "SELECT count(*) FROM bag WHERE v = 'temporary'").get(0).get(0))
                    .as("batches of the transaction were written").isPositive();

            dest.execute("DROP TRIGGER refuse ON bag");
            bagIntoPostgres(dest, "match", 10000);
            PipelineRun.Result again = run.once();
            assertThat(again.exitCode()).as(again.stderr()).isZero();
            assertLiveRowsEqualTheSource(sql -> PipelineRun.pg(dest, sql), "after the transaction was read again");
        }
    }

    /**
     * A transaction that truncates the table between its inserts, its run failing after some of its batches were written,
     * read again (in one batch): its truncate soft-deletes the rows numbered before it, not the rows it added after it
     * that the first run wrote (found by the probe: the truncate, read again in a batch of a higher position, soft-deleted
     * every row written before that position, and the rows added after it, held already, were not added again: 2,500 of
     * 3,000 lost). Matched and appended alike.
     */
    @Test
    void aTransactionWithATruncateReadAgainKeepsTheRowsAddedAfterItMatched() throws Exception {
        truncateReadAgain("match");
    }

    @Test
    void aTransactionWithATruncateReadAgainKeepsTheRowsAddedAfterItAppended() throws Exception {
        truncateReadAgain("append");
    }

    private void truncateReadAgain(String keylessTables) throws Exception {
        try (TestDatabase dest = TestDatabase.create("keylessdest")) {
            bagIntoPostgres(dest, keylessTables, 1000);
            assertThat(run.once().exitCode()).isZero();
            refuse(dest, "BEFORE INSERT", "NEW.n = 2500 AND NEW.v = 'post'");
            db.execute("BEGIN; INSERT INTO bag SELECT g, 'pre', NULL, NULL, NULL FROM generate_series(1, 1500) g; TRUNCATE bag;"
                    + " INSERT INTO bag SELECT g, 'post', NULL, NULL, NULL FROM generate_series(1, 3000) g; COMMIT");
            assertThat(run.once().exitCode()).as("the batch with row 2500 fails the run").isNotZero();
            assertThat((Long) PipelineRun.pg(dest, "SELECT count(*) FROM bag WHERE v = 'post'").get(0).get(0))
                    .as("rows added after the truncate were written").isPositive();

            dest.execute("DROP TRIGGER refuse ON bag");
            bagIntoPostgres(dest, keylessTables, 10000);
            PipelineRun.Result again = run.once();
            assertThat(again.exitCode()).as(again.stderr()).isZero();
            assertLiveRowsEqualTheSource(sql -> PipelineRun.pg(dest, sql), "after the transaction was read again");
        }
    }

    /**
     * An update whose old row matches no row of the destination (a column added with a DEFAULT: the old rows lack its
     * value there, a documented limit) does not remove its own new row (found by the probe: the removal, taking the only
     * equal live row, took the row the update had just added).
     */
    @Test
    void anUpdateWhoseOldRowMatchesNothingKeepsItsNewRow() throws Exception {
        db.execute("CREATE TABLE sc (a int, b text)", "ALTER TABLE sc REPLICA IDENTITY FULL",
                "INSERT INTO sc VALUES (0, 'r'), (1, 'r')");
        run.pipeline(pipelineName, db, "mode", "logical-replication", "objects", "public.sc", "keylessTables", "match",
                "retrySeconds", "3");
        assertThat(run.once().exitCode()).isZero();
        db.execute("ALTER TABLE sc ADD COLUMN x int DEFAULT 5", "UPDATE sc SET b = 'u' WHERE a = 0");
        PipelineRun.Result changed = run.once();
        assertThat(changed.exitCode()).as(changed.stderr()).isZero();
        assertThat(run.duck("SELECT a, b, x FROM sc WHERE NOT _pgingest_deleted AND b = 'u'")).as("the update's new row is live")
                .containsExactly(List.of(0, "u", 5));
    }

    /**
     * A PostgreSQL destination table made while the source table had a key keeps its primary key; the rows of the table
     * without key then failed on it with the server's words only ("duplicate key value violates unique constraint",
     * found by the probe). The failure says what to do, and doing it (dropping the destination table) repairs it.
     */
    @Test
    void aKeyDroppedAtTheSourceAsksForThePostgresDestinationTableToBeDropped() throws Exception {
        try (TestDatabase dest = TestDatabase.create("keylessdest")) {
            db.execute("CREATE TABLE pk (a int PRIMARY KEY, b text)", "INSERT INTO pk VALUES (1, 'a'), (2, 'b')");
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication", "objects",
                    "public.pk", "keylessTables", "match", "retrySeconds", "1");
            assertThat(run.once().exitCode()).isZero();
            db.execute("ALTER TABLE pk DROP CONSTRAINT pk_pkey", "ALTER TABLE pk REPLICA IDENTITY FULL",
                    "INSERT INTO pk VALUES (2, 'b')");
            PipelineRun.Output refused = run.command("--once");
            assertThat(refused.exitCode()).isNotZero();
            assertThat(refused.stdout()).contains("destination table public.pk has a primary key, but the source table public.pk"
                    + " has none now (it was dropped): drop the destination table");
            dest.execute("DROP TABLE pk");
            PipelineRun.Result repaired = run.once();
            assertThat(repaired.exitCode()).as(repaired.stderr()).isZero();
            assertThat(PipelineRun.pg(dest, "SELECT a, b FROM pk WHERE NOT _pgingest_deleted ORDER BY a, b"))
                    .containsExactly(List.of(1, "a"), List.of(2, "b"), List.of(2, "b"));
        }
    }

    /**
     * A row updated several times by transactions read in one batch: each update's old row is the row the update before
     * it added in the same batch (found by bench/keyless-match.sh: 11 of 20,000 updates left their old rows live, when a
     * removal could not take a row another still open removal had added).
     */
    @Test
    void aRowUpdatedByOneTransactionAfterAnotherInOneBatchEndsOnce() throws Exception {
        changedIntoBothDestinations("UPDATE bag SET v = 'c1' WHERE n = 2", "UPDATE bag SET v = 'c2' WHERE n = 2",
                "UPDATE bag SET v = 'c3' WHERE n = 2", "UPDATE bag SET v = 'c4' WHERE n = 2");
    }

    /**
     * Table bag matched into DuckDB and into a PostgreSQL destination, loaded; then {@code changes}, one run, and the live
     * rows of both destinations compared with the source's.
     */
    private void changedIntoBothDestinations(String... changes) throws Exception {
        try (TestDatabase dest = TestDatabase.create("keylessdest")) {
            run.pipeline(pipelineName, db, "mode", "logical-replication", "objects", "public.bag", "keylessTables", "match",
                    "retrySeconds", "3");
            run.pipelineTo(pipelineName + "_pg", db, PipelineRun.postgresDestination(dest), "mode", "logical-replication",
                    "objects", "public.bag", "keylessTables", "match", "retrySeconds", "3");
            assertThat(run.once().exitCode()).isZero();
            db.execute(changes);
            PipelineRun.Result changed = run.once();
            assertThat(changed.exitCode()).as(changed.stderr()).isZero();
            assertLiveRowsEqualTheSource(sql -> run.duck(sql), "DuckDB");
            assertLiveRowsEqualTheSource(sql -> PipelineRun.pg(dest, sql), "PostgreSQL");
        } finally {
            db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.name() + "'");
        }
    }

    /**
     * Updates that leave a row as it was (each one's old row equal to its new row), several in one batch, in separate
     * transactions and in one, of a row with an equal twin and of a row with NULLs: each takes the row there before it,
     * so that one live row stays per source row. (A version in which the removals still open after the rows held before
     * the batch were taken skipped the rows added by every open removal's change left three live rows for one after
     * four such updates, found by the twenty-second session's probe.)
     */
    @Test
    void updatesThatLeaveTheRowAsItWasKeepOneLiveRowPerSourceRow() throws Exception {
        List<String> changes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            changes.addAll(List.of("UPDATE bag SET v = v WHERE n = 2", "UPDATE bag SET d = d WHERE n = 3"));
        }
        changes.add("BEGIN; UPDATE bag SET v = v WHERE n = 1; UPDATE bag SET n = n WHERE n = 1; UPDATE bag SET f = f"
                + " WHERE n = 1; COMMIT");
        changedIntoBothDestinations(changes.toArray(new String[0]));
    }

    /**
     * Appended (the default), the changes made before a TRUNCATE that comes in the same batch are in the log too, each a
     * row, soft-deleted by the truncate: an append log holds every change whatever the batch's bounds (before the
     * twenty-second session the batch dropped them, found by the session's probe).
     */
    @Test
    void appendedChangesBeforeATruncateInTheSameBatchAreInTheLog() throws Exception {
        run.pipeline(pipelineName, db, "mode", "logical-replication", "objects", "public.bag", "retrySeconds", "3");
        assertThat(run.once().exitCode()).isZero();
        db.execute("UPDATE bag SET v = 'b2' WHERE n = 2", "DELETE FROM bag WHERE n = 3", "INSERT INTO bag (n, v) VALUES (7, 'seven')",
                "BEGIN; TRUNCATE bag; INSERT INTO bag (n, v) VALUES (8, 'eight'); COMMIT");
        PipelineRun.Result changed = run.once();
        assertThat(changed.exitCode()).as(changed.stderr()).isZero();
        assertThat(sorted(run.duck("SELECT CAST(n AS VARCHAR), v, CAST(_pgingest_deleted AS VARCHAR) FROM bag WHERE"
                + " _pgingest_change IS NOT NULL")))
                .as("a row per change: the update's new row, the delete's old row, the insert, all soft-deleted by the"
                        + " truncate, and the insert after it")
                .containsExactly(List.of("2", "b2", "true"), Arrays.asList("3", null, "true"), List.of("7", "seven", "true"),
                        List.of("8", "eight", "false"));
        assertLiveRowsEqualTheSource(sql -> run.duck(sql), "after the truncate");
    }

    /**
     * A column added with a DEFAULT: the rows the destination holds lack its value, which a table without key cannot have
     * re-read by key, so that the old rows of later updates and deletes would match none (a deleted row stayed live, an
     * updated one became two, found by the twenty-second session's probe). The table is loaded again instead.
     */
    @Test
    void aColumnAddedWithADefaultHasTheTableLoadedAgain() throws Exception {
        run.pipeline(pipelineName, db, "mode", "logical-replication", "objects", "public.bag", "keylessTables", "match",
                "retrySeconds", "3");
        assertThat(run.once().exitCode()).isZero();
        db.execute("ALTER TABLE bag ADD COLUMN x int DEFAULT 5", "UPDATE bag SET v = 'b2' WHERE n = 2", "DELETE FROM bag WHERE n = 3",
                "INSERT INTO bag (n, v, x) VALUES (9, 'new', 6)");
        String rows = "SELECT CAST(n AS VARCHAR), v, CAST(x AS VARCHAR) FROM bag";
        for (int i = 0; i < 2; i++) {
            PipelineRun.Result next = run.once(); // added while stopped: the load comes first in the same run
            assertThat(next.exitCode()).as(next.stderr()).isZero();
            assertThat(sorted(run.duck(rows + " WHERE NOT _pgingest_deleted")))
                    .as("run " + (i + 1) + ": the live rows are the source's, the added column's values included")
                    .isEqualTo(sorted(PipelineRun.pg(db, rows.replace("VARCHAR", "text"))));
        }
    }

    /**
     * Transactions that overlap: one writes first and commits last, so its changes' WAL positions (their numbers) are
     * below those of a transaction streamed before it. They are applied all the same (found by a probe: a check on the
     * table's highest number took them for written, and the insert and the delete of the late transaction were lost).
     */
    @Test
    void aTransactionThatCommitsAfterALaterOneIsApplied() throws Exception {
        run.pipeline(pipelineName, db, "mode", "logical-replication", "objects", "public.bag", "keylessTables", "match",
                "retrySeconds", "3");
        assertThat(run.once().exitCode()).isZero();
        try (java.sql.Connection early = db.connect()) {
            early.setAutoCommit(false);
            try (java.sql.Statement s = early.createStatement()) {
                s.execute("INSERT INTO bag VALUES (100, 'early', NULL, NULL, NULL)");
                s.execute("DELETE FROM bag WHERE n = 2");
            }
            db.execute("INSERT INTO bag VALUES (101, 'late', NULL, NULL, NULL)");
            PipelineRun.Result between = run.once();
            assertThat(between.exitCode()).as(between.stderr()).isZero();
            early.commit();
        }
        PipelineRun.Result after = run.once();
        assertThat(after.exitCode()).as(after.stderr()).isZero();
        assertLiveRowsEqualTheSource(sql -> run.duck(sql), "after the transaction that wrote first and committed last");
    }

    /**
     * Column names the writers' statements use for their own values ({@code i}, {@code _v}, {@code k}, ...; found by the
     * session's probe: "column reference "i" is ambiguous" stopped the pipeline), and intervals that DuckDB holds equal
     * but PostgreSQL does not ({@code 1 day} and {@code 24:00:00}; found by the probe: the row deleted at the source
     * stayed live in DuckDB).
     */
    @Test
    void columnsNamedLikeTheWritersOwnAndIntervalsWrittenTwoWays() throws Exception {
        db.execute("CREATE TABLE odd (i int, _v text, k int, change int, tid int, id int, n int, c interval)",
                "ALTER TABLE odd REPLICA IDENTITY FULL",
                "INSERT INTO odd VALUES (1, 'a', 1, 1, 1, 1, 1, '24:00:00'), (1, 'a', 1, 1, 1, 1, 1, '1 day'),"
                        + " (2, 'b', 2, 2, 2, 2, 2, '1 mon'), (2, 'b', 2, 2, 2, 2, 2, '30 days')");
        String rows = "SELECT CAST(i AS VARCHAR), _v, CAST(k AS VARCHAR), CAST(c AS VARCHAR) FROM odd";
        try (TestDatabase dest = TestDatabase.create("keylessdest")) {
            run.pipeline(pipelineName, db, "mode", "logical-replication", "objects", "public.odd", "keylessTables", "match",
                    "retrySeconds", "3");
            run.pipelineTo(pipelineName + "_pg", db, PipelineRun.postgresDestination(dest), "mode", "logical-replication",
                    "objects", "public.odd", "keylessTables", "match", "retrySeconds", "3");
            assertThat(run.once().exitCode()).isZero();
            db.execute("DELETE FROM odd WHERE c::text IN ('1 day', '30 days')", "UPDATE odd SET k = 3 WHERE i = 2");
            PipelineRun.Result changed = run.once();
            assertThat(changed.exitCode()).as(changed.stderr()).isZero();
            List<List<Object>> source = sorted(PipelineRun.pg(db, rows.replace("VARCHAR", "text")));
            assertThat(source).as("the source").containsExactly(List.of("1", "a", "1", "24:00:00"), List.of("2", "b", "3", "1 mon"));
            assertThat(sorted(PipelineRun.pg(dest, rows.replace("VARCHAR", "text") + " WHERE NOT _pgingest_deleted")))
                    .as("PostgreSQL: the live rows are the source's").isEqualTo(source);
            assertThat(sorted(run.duck("SELECT CAST(i AS VARCHAR), _v, CAST(k AS VARCHAR), CASE CAST(c AS VARCHAR)"
                    + " WHEN '1 month' THEN '1 mon' ELSE CAST(c AS VARCHAR) END FROM odd WHERE NOT"
                    + " _pgingest_deleted"))).as("DuckDB: the live rows are the source's (its interval text: '1 month')")
                    .isEqualTo(source);
        } finally {
            db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.name() + "'");
        }
    }

    /**
     * Columns not compared (their streamed value may differ from the loaded one: timetz arrives at UTC): an update of
     * such a column only is written all the same (found by the probe: its old and new rows netted out, and the
     * destination kept the old value), and a table with no other column still has its removals take a row (they found
     * none, and the table only grew).
     */
    @Test
    void anUpdateOfAColumnNotComparedIsWrittenAndATableOfSuchColumnsOnlyIsMatched() throws Exception {
        db.execute("CREATE TABLE tz (k int, t timetz)", "ALTER TABLE tz REPLICA IDENTITY FULL",
                "INSERT INTO tz VALUES (1, '10:00+02'), (2, '10:00+02')",
                "CREATE TABLE only_tz (t timetz)", "ALTER TABLE only_tz REPLICA IDENTITY FULL",
                "INSERT INTO only_tz VALUES ('10:00+02'), ('10:00+02'), ('11:00+02')");
        run.pipeline(pipelineName, db, "mode", "logical-replication", "objects", "public.tz\npublic.only_tz",
                "keylessTables", "match", "retrySeconds", "3");
        assertThat(run.once().exitCode()).isZero();
        db.execute("UPDATE tz SET t = '11:00+02' WHERE k = 1", "DELETE FROM only_tz WHERE ctid = (SELECT min(ctid) FROM only_tz)");
        PipelineRun.Result changed = run.once();
        assertThat(changed.exitCode()).as(changed.stderr()).isZero();
        assertThat(run.duck("SELECT k, CAST(t AS VARCHAR) FROM tz WHERE NOT _pgingest_deleted ORDER BY k"))
                .as("the new time of row 1 (streamed at UTC)").containsExactly(List.of(1, "09:00:00+00"), List.of(2, "10:00:00+02"));
        assertThat(run.duck("SELECT count(*) FROM only_tz WHERE NOT _pgingest_deleted")).as("one row of three removed")
                .containsExactly(List.of(2L));
    }

    /**
     * A table that loses its primary key (and becomes REPLICA IDENTITY FULL) while the slot holds an update made under
     * the key: that update has no old row to match (found by the probe: every run failed on it, telling the user to set
     * REPLICA IDENTITY FULL, which was set). Its new row is written, and the table is loaded again, which replaces its
     * rows.
     */
    @Test
    void anUpdateLoggedBeforeTheTableLostItsKeyHasTheTableLoadedAgain() throws Exception {
        db.execute("CREATE TABLE dk (a int PRIMARY KEY, b text)", "INSERT INTO dk VALUES (1, 'a'), (2, 'b')");
        run.pipeline(pipelineName, db, "mode", "logical-replication", "objects", "public.dk", "keylessTables", "match",
                "retrySeconds", "3");
        assertThat(run.once().exitCode()).isZero();
        db.execute("UPDATE dk SET b = 'a2' WHERE a = 1", "ALTER TABLE dk DROP CONSTRAINT dk_pkey",
                "ALTER TABLE dk REPLICA IDENTITY FULL", "INSERT INTO dk VALUES (2, 'b')");
        PipelineRun.Result changed = run.once();
        assertThat(changed.exitCode()).as(changed.stderr()).isZero();
        PipelineRun.Result next = run.once();
        assertThat(next.exitCode()).as(next.stderr()).isZero();
        assertThat(run.duck("SELECT a, b FROM dk WHERE NOT _pgingest_deleted ORDER BY a, b")).as("loaded again: the source's rows")
                .containsExactly(List.of(1, "a2"), List.of(2, "b"), List.of(2, "b"));
        db.execute("DELETE FROM dk WHERE ctid = (SELECT min(ctid) FROM dk WHERE a = 2)");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT a, b FROM dk WHERE NOT _pgingest_deleted ORDER BY a, b")).as("and matched since")
                .containsExactly(List.of(1, "a2"), List.of(2, "b"));
    }

    /**
     * A pipeline whose tables without key were appended (an append log: every row version live) switched to match: its
     * next run loads those tables again, replacing their rows, and matches from then on; switched back, the same.
     */
    /**
     * A table without key created while the pipeline streams is noted as written by match: the next start does not take
     * it for one written by append and load it again (found by the twenty-second session's probe: every such table was
     * loaded again at the next start, saying that keylessTables had changed).
     */
    @Test
    void aTableCreatedWhileStreamingIsNotLoadedAgainAtTheNextStart() throws Exception {
        try (TestDatabase dest = TestDatabase.create("keylessdest")) {
            run.pipelineTo(pipelineName, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication",
                    "keylessTables", "match", "retrySeconds", "3");
            try (PipelineRun.Streaming streaming = run.stream()) {
                assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60),
                        () -> (Long) PipelineRun.pg(dest, "SELECT count(*) FROM information_schema.tables WHERE table_name"
                                + " = 'bag'").get(0).get(0) == 1L)).isTrue();
                db.execute("CREATE TABLE late (n int, v text)", "ALTER TABLE late REPLICA IDENTITY FULL",
                        "INSERT INTO late VALUES (1, 'a'), (1, 'a')");
                assertThat(PipelineRun.eventually(java.time.Duration.ofSeconds(60), () -> {
                    try {
                        return (Long) PipelineRun.pg(dest, "SELECT count(*) FROM late").get(0).get(0) == 2L;
                    } catch (java.sql.SQLException e) {
                        return false; // not created yet
                    }
                })).as("the new table was loaded").isTrue();
                assertThat(streaming.stop()).isZero();
            }
            ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log = new ch.qos.logback.core.read.ListAppender<>();
            log.start();
            ch.qos.logback.classic.Logger newTables = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                    "io.pgingest.source.logical.NewTables");
            newTables.addAppender(log);
            try {
                PipelineRun.Result next = run.once();
                assertThat(next.exitCode()).as(next.stderr()).isZero();
            } finally {
                newTables.detachAppender(log);
            }
            assertThat(log.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.contains("public.late")).toList()).as("nothing loaded again").isEmpty();
            assertThat(PipelineRun.pg(dest, "SELECT count(*) FROM late WHERE NOT _pgingest_deleted")).containsExactly(List.of(2L));
        } finally {
            db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.name() + "'");
        }
    }

    @Test
    void switchingKeylessTablesLoadsTheTablesAgain() throws Exception {
        run.pipeline(pipelineName, db, "mode", "logical-replication", "objects", "public.bag", "retrySeconds", "3");
        assertThat(run.once().exitCode()).isZero();
        db.execute("UPDATE bag SET v = 'bee' WHERE n = 2");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT v FROM bag WHERE n = 2 AND NOT _pgingest_deleted ORDER BY v"))
                .as("appended: both versions of the row are live rows of the log").containsExactly(List.of("b"), List.of("bee"));

        run.pipeline(pipelineName, db, "mode", "logical-replication", "objects", "public.bag", "retrySeconds", "3",
                "keylessTables", "match");
        PipelineRun.Result switched = run.once();
        assertThat(switched.exitCode()).as(switched.stderr()).isZero();
        assertLiveRowsEqualTheSource(sql -> run.duck(sql), "after the switch to match");
        db.execute("UPDATE bag SET v = 'B' WHERE n = 2", "DELETE FROM bag WHERE n = 3");
        assertThat(run.once().exitCode()).isZero();
        assertLiveRowsEqualTheSource(sql -> run.duck(sql), "matched after the switch");

        run.pipeline(pipelineName, db, "mode", "logical-replication", "objects", "public.bag", "retrySeconds", "3");
        assertThat(run.once().exitCode()).isZero();
        db.execute("UPDATE bag SET v = 'bb' WHERE n = 2");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT v FROM bag WHERE n = 2 AND NOT _pgingest_deleted ORDER BY v"))
                .as("switched back to append: loaded again, then appended").containsExactly(List.of("B"), List.of("bb"));
    }

    private void assertLiveRowsEqualTheSource(Query destination, String when) throws Exception {
        List<List<Object>> source = sorted(PipelineRun.pg(db, ROWS.replace("VARCHAR", "text")));
        List<List<Object>> live = sorted(destination.rows(ROWS + " WHERE NOT _pgingest_deleted"));
        assertThat(live).as(when + ": the destination's live rows are the source's, duplicates included").isEqualTo(source);
    }

    private static List<List<Object>> sorted(List<List<Object>> rows) {
        List<List<Object>> out = new ArrayList<>(rows);
        out.sort(Comparator.comparing(Object::toString));
        return out;
    }

    /**
     * A run stopped inside a transaction (a destination trigger fails the batch holding the new row of n = 4500, so the run
     * fails after committing the batches before it) has the next run read the whole transaction again: the changes the
     * destination holds are left out by their numbers, so no row is removed or added twice.
     */
    @Test
    void aTransactionReadAgainAfterAFailedRunIsNotAppliedTwice() throws Exception {
        try (TestDatabase dest = TestDatabase.create("keylessdest")) {
            db.execute("DELETE FROM bag", "INSERT INTO bag SELECT g, 'v' || g, NULL, NULL, NULL FROM generate_series(1, 6000) g");
            bagIntoPostgres(dest, "match", 1000);
            assertThat(run.once().exitCode()).isZero();
            refuse(dest, "BEFORE INSERT", "NEW.n = 4500 AND NEW.v LIKE '%!'");
            db.execute("UPDATE bag SET v = v || '!'");
            assertThat(run.once().exitCode()).as("the batch with the new row of n = 4500 fails the run").isNotZero();
            assertThat((Long) PipelineRun.pg(dest, "SELECT count(*) FROM bag WHERE v LIKE '%!'").get(0).get(0))
                    .as("the batches before the failing one were written").isBetween(100L, 4499L);

            dest.execute("DROP TRIGGER refuse ON bag");
            PipelineRun.Result again = run.once();
            assertThat(again.exitCode()).as(again.stderr()).isZero();
            assertThat(PipelineRun.pg(dest, "SELECT count(*) FILTER (WHERE NOT _pgingest_deleted),"
                    + " count(DISTINCT n) FILTER (WHERE NOT _pgingest_deleted), count(*) FILTER (WHERE NOT _pgingest_deleted"
                    + " AND v LIKE '%!'), count(*) FILTER (WHERE _pgingest_deleted AND v NOT LIKE '%!') FROM bag"))
                    .as("every row once, updated; each old row soft-deleted once")
                    .containsExactly(List.of(6000L, 6000L, 6000L, 6000L));
            assertLiveRowsEqualTheSource(sql -> PipelineRun.pg(dest, sql), "after the run read the transaction again");
        }
    }
}
