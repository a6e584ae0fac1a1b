package io.pgingest.it;

import io.pgingest.state.JdbcStateStore;
import io.pgingest.state.ObjectProgress;
import io.pgingest.state.ObjectStatus;
import io.pgingest.state.StateStore;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Table-mode pipelines end to end: real PostgreSQL source, the application, a real DuckDB file. */
class TableModeIT {

    @TempDir
    Path tmp;
    TestDatabase db;
    PipelineRun run;

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabase.create("table");
        run = new PipelineRun(tmp);
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    /** The per-run limit of a Full Load cuts a table without key too (read as one COPY stream): reported, never silent. */
    @Test
    void theFullLoadLimitStopsAKeylessTableAtTheLimitAndSaysSo() throws Exception {
        db.execute("CREATE TABLE clicks (url text, n int)",
                "INSERT INTO clicks SELECT '/c/' || g, g FROM generate_series(1, 25) g",
                "CREATE TABLE few (url text)", "INSERT INTO few VALUES ('/a'), ('/b')");
        run.pipeline("limited", db, "batchSize", "4", "fullLoadLimit", "10");

        PipelineRun.Output out = run.command("--once");

        assertThat(out.exitCode()).as(out.stdout() + out.stderr()).isZero();
        assertThat(run.duck("SELECT count(*), count(DISTINCT n), min(n), max(n) FROM clicks"))
                .as("the first 10 rows, each once").containsExactly(List.of(10L, 10L, 1, 10));
        assertThat(out.stdout()).contains("ingestion limit of 10 rows per run reached");
        assertThat(run.duckCount("few")).as("a table under the limit is whole").isEqualTo(2);
    }

    @Test
    void fullLoadCopiesTablesOfEveryShapeAndPicksUpInsertsAndUpdatesOnTheNextRun() throws Exception {
        db.execute(
                "CREATE TABLE \"Customers\" (id int PRIMARY KEY, \"FullName\" text, balance numeric(12,2), tags text[])",
                "INSERT INTO \"Customers\" SELECT g, 'Name ' || g, g * 1.25, ARRAY['a', 'b' || g] FROM generate_series(1, 2500) g",
                "CREATE TABLE order_items (order_id int, line int, qty int, PRIMARY KEY (order_id, line))",
                "INSERT INTO order_items SELECT g / 3, g % 3, g FROM generate_series(1, 3000) g",
                "CREATE TABLE page_views (url text, seen_at timestamptz)",
                "INSERT INTO page_views SELECT '/p/' || g, '2024-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 1200) g",
                "CREATE TABLE measurements (id int, at date, v float8, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
                "CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                "CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
                "INSERT INTO measurements SELECT g, '2024-06-01'::date + g, g / 7.0 FROM generate_series(1, 400) g",
                "CREATE VIEW customer_names AS SELECT \"FullName\" FROM \"Customers\"");
        run.pipeline("shop", db, "batchSize", "1000");

        PipelineRun.Result first = run.once();

        assertThat(first.exitCode()).as("run once succeeds: " + first.stderr()).isZero();
        assertThat(run.duckCount("customers")).as("mixed-case table name is sanitised to lower case").isEqualTo(2500);
        assertThat(run.duckCount("order_items")).as("composite key, 3 pages").isEqualTo(3000);
        assertThat(run.duckCount("page_views")).as("table without key").isEqualTo(1200);
        assertThat(run.duckCount("measurements")).as("partitioned table lands in one table").isEqualTo(400);
        assertThat(run.duck("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'customer_names%'").get(0).get(0))
                .as("views are not replicated").isEqualTo(0L);
        assertThat(run.duck("SELECT fullname, balance, tags FROM customers WHERE id = 7"))
                .containsExactly(List.of("Name 7", new BigDecimal("8.75"), "[\"a\",\"b7\"]"));

        db.execute("UPDATE \"Customers\" SET \"FullName\" = 'Renamed' WHERE id = 7",
                "INSERT INTO \"Customers\" VALUES (5000, 'New', 1, NULL)",
                "INSERT INTO page_views VALUES ('/new', now())",
                "DELETE FROM page_views WHERE url = '/p/1'");
        PipelineRun.Result second = run.once();

        assertThat(second.exitCode()).as(second.stderr()).isZero();
        assertThat(run.duck("SELECT fullname FROM customers WHERE id IN (7, 5000) ORDER BY id"))
                .containsExactly(List.of("Renamed"), List.of("New"));
        assertThat(run.duckCount("customers")).as("upsert by key: no duplicates").isEqualTo(2501);
        assertThat(run.duckCount("page_views")).as("a keyless Full Load replaces the previous copy").isEqualTo(1200);
    }

    @Test
    void deltaTimestampLoadsEveryRowOfATieAcrossPageBoundariesAndThenOnlyChanges() throws Exception {
        db.execute("CREATE TABLE events (id int PRIMARY KEY, note text, updated_at timestamp)",
                // 50 rows on three timestamps: every page of 7 ends inside a tie group
                "INSERT INTO events SELECT g, 'n' || g, '2024-01-01'::timestamp + (g % 3) * interval '1 second' FROM generate_series(1, 50) g");
        run.pipeline("events", db, "objects", "events: delta-timestamp(updated_at)", "batchSize", "7");

        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duckCount("events")).as("no row of a tie lost").isEqualTo(50);

        db.execute("UPDATE events SET note = 'changed', updated_at = '2024-02-01' WHERE id <= 5",
                "INSERT INTO events VALUES (51, 'new', '2024-02-01')");
        assertThat(run.once().exitCode()).isZero();

        assertThat(run.duckCount("events")).isEqualTo(51);
        assertThat(run.duck("SELECT count(*) FROM events WHERE note = 'changed'").get(0).get(0)).isEqualTo(5L);
        assertThat(run.duck("SELECT count(DISTINCT _pgingest_position) FROM events WHERE id <= 5").get(0).get(0))
                .as("the changed rows were loaded by the second run").isEqualTo(1L);
    }

    @Test
    void appendOnlyAndChangeDataCaptureReadOnlyRowsAfterTheirCursor() throws Exception {
        db.execute("CREATE TABLE log (id bigserial PRIMARY KEY, msg text)",
                "INSERT INTO log (msg) SELECT 'm' || g FROM generate_series(1, 100) g",
                "CREATE TABLE items (id int NOT NULL, name text, changed_at timestamptz NOT NULL)",
                "INSERT INTO items SELECT g, 'i' || g, '2024-01-01'::timestamptz FROM generate_series(1, 30) g");
        run.pipeline("mixed", db, "objects", "log: append-only(id)\nitems: cdc(changed_at, id)", "batchSize", "8");

        assertThat(run.once().exitCode()).isZero();
        db.execute("INSERT INTO log (msg) VALUES ('late')",
                "UPDATE items SET name = 'upd', changed_at = '2024-03-01' WHERE id = 3",
                "INSERT INTO items VALUES (31, 'i31', '2024-03-01')");
        assertThat(run.once().exitCode()).isZero();

        assertThat(run.duckCount("log")).isEqualTo(101);
        assertThat(run.duckCount("items")).as("keyless CDC table is keyed by its incrementing column").isEqualTo(31);
        assertThat(run.duck("SELECT name FROM items WHERE id = 3")).containsExactly(List.of("upd"));
    }

    @Test
    void aRowCommittedAfterThePollBeganIsNotMissed() throws Exception {
        db.execute("CREATE TABLE orders (id serial PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())",
                "INSERT INTO orders (note) VALUES ('before')");
        run.pipeline("orders", db, "objects", "orders: delta-timestamp(updated_at)");
        assertThat(run.once().exitCode()).isZero();

        try (Connection slow = db.connect(); Statement s = slow.createStatement()) {
            slow.setAutoCommit(false);
            // updated_at = this transaction's start, earlier than the row committed next
            s.execute("INSERT INTO orders (note) VALUES ('slow writer')");
            Thread.sleep(20);
            db.execute("INSERT INTO orders (note) VALUES ('fast writer')");

            CompletableFuture<PipelineRun.Result> poll = CompletableFuture.supplyAsync(run::once);
            Thread.sleep(1500);
            assertThat(poll).as("the poll waits for the open transaction").isNotDone();
            slow.commit();
            assertThat(poll.get(60, TimeUnit.SECONDS).exitCode()).isZero();
        }
        assertThat(run.once().exitCode()).isZero();

        assertThat(run.duck("SELECT note FROM orders ORDER BY id"))
                .as("the slow writer's row, timestamped before the fast writer's, is loaded")
                .containsExactly(List.of("before"), List.of("slow writer"), List.of("fast writer"));
    }

    /**
     * As {@link #aRowCommittedAfterThePollBeganIsNotMissed}, for transactions that had taken their cursor value but not
     * written yet when the poll began (no transaction id yet): one that read {@code now()}, one that took a sequence
     * value. Before the twentieth session the poll did not wait for them and their rows were lost.
     */
    @Test
    void aRowOfATransactionThatHadNotWrittenWhenThePollBeganIsNotMissed() throws Exception {
        db.execute("CREATE TABLE orders (id serial PRIMARY KEY, note text, updated_at timestamptz NOT NULL DEFAULT now())",
                "INSERT INTO orders (note) VALUES ('before')",
                "CREATE TABLE events (id bigint PRIMARY KEY, note text)", "CREATE SEQUENCE events_id",
                "INSERT INTO events VALUES (nextval('events_id'), 'before')");
        run.pipeline("late", db, "objects", "orders: delta-timestamp(updated_at)\nevents: append-only(id)");
        assertThat(run.once().exitCode()).isZero();

        try (Connection slow = db.connect(); Statement s = slow.createStatement()) {
            slow.setAutoCommit(false);
            // the transaction's now() and a sequence value, taken before the fast writer's; nothing written yet
            s.execute("SELECT now(), nextval('events_id')");
            Thread.sleep(20);
            db.execute("INSERT INTO orders (note) VALUES ('fast writer')",
                    "INSERT INTO events VALUES (nextval('events_id'), 'fast writer')");
            CompletableFuture<PipelineRun.Result> poll = CompletableFuture.supplyAsync(run::once);
            Thread.sleep(1500);
            assertThat(poll).as("the poll waits for the open transaction").isNotDone();
            s.execute("INSERT INTO orders (note) VALUES ('slow writer')");
            s.execute("INSERT INTO events VALUES (currval('events_id'), 'slow writer')");
            slow.commit();
            assertThat(poll.get(60, TimeUnit.SECONDS).exitCode()).isZero();
        }
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT note FROM orders ORDER BY updated_at, id"))
                .as("the slow writer's row, timestamped before the fast writer's, is loaded")
                .containsExactly(List.of("before"), List.of("slow writer"), List.of("fast writer"));
        assertThat(run.duck("SELECT note FROM events ORDER BY id"))
                .as("the slow writer's row, numbered before the fast writer's, is loaded")
                .containsExactly(List.of("before"), List.of("slow writer"), List.of("fast writer"));
    }

    @Test
    void deltaTimestampPagesATieLargerThanAPageOnATableWithoutKeyIncludingPartitions() throws Exception {
        db.execute("CREATE TABLE readings (sensor int, v int, at timestamptz NOT NULL) PARTITION BY LIST (sensor)",
                "CREATE TABLE readings_1 PARTITION OF readings FOR VALUES IN (1)",
                "CREATE TABLE readings_2 PARTITION OF readings FOR VALUES IN (2)",
                // 300 rows share one timestamp: a tie five times the page size, with equal ctids in both partitions
                "INSERT INTO readings SELECT 1 + g % 2, g, '2024-01-01' FROM generate_series(1, 300) g");
        run.pipeline("readings", db, "objects", "readings: delta-timestamp(at)", "batchSize", "60");

        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT count(*), count(DISTINCT v) FROM readings").get(0))
                .as("every row of the tie once, across pages and partitions").containsExactly(300L, 300L);

        db.execute("INSERT INTO readings VALUES (1, 1000, '2024-01-02')");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duckCount("readings")).as("the next run reads only the new row").isEqualTo(301);
    }

    @Test
    void pagesFollowTheOrderOfTheColumnTypeNotOfItsText() throws Exception {
        // '10.0.0.10' sorts before '10.0.0.2' as text, after it as inet; '10' before '9' as text
        db.execute("CREATE TABLE hosts (ip inet PRIMARY KEY, name text)",
                "INSERT INTO hosts SELECT ('10.0.0.' || g)::inet, 'h' || g FROM generate_series(1, 30) g",
                "CREATE TABLE ticks (id int PRIMARY KEY, at timestamptz NOT NULL)",
                "INSERT INTO ticks SELECT g, '2024-01-01' FROM generate_series(1, 30) g");
        run.pipeline("order", db, "objects", "hosts: full-load\nticks: cdc(at, id)", "batchSize", "7");

        assertThat(run.once().exitCode()).isZero();

        assertThat(run.duckCount("hosts")).as("keyset pages over an inet key").isEqualTo(30);
        assertThat(run.duckCount("ticks")).as("the ceiling is the highest (at, id), not the highest text").isEqualTo(30);
    }

    @Test
    void incrementalModesLoadHistoryByKeyIncludingNullCursorValuesThenContinueFromTheCeiling() throws Exception {
        db.execute("CREATE TABLE docs (id int PRIMARY KEY, body text, edited_at timestamptz)",
                // one timestamp for all rows (a bulk load), and rows never edited (NULL)
                "INSERT INTO docs SELECT g, 'b' || g, CASE WHEN g % 10 = 0 THEN NULL ELSE '2024-01-01'::timestamptz END "
                        + "FROM generate_series(1, 250) g");
        run.pipeline("docs", db, "objects", "docs: delta-timestamp(edited_at)", "batchSize", "40");

        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duckCount("docs")).as("the historical load reads every row, NULL timestamps too").isEqualTo(250);

        db.execute("UPDATE docs SET body = 'edited', edited_at = '2024-02-01' WHERE id IN (5, 10)");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT id FROM docs WHERE body = 'edited' ORDER BY id")).containsExactly(List.of(5), List.of(10));
        assertThat(run.duck("SELECT count(DISTINCT _pgingest_position) FROM docs WHERE id NOT IN (5, 10)").get(0).get(0))
                .as("the incremental run read only the edited rows").isEqualTo(1L);
    }

    @Test
    void newTablesAreIncludedOrSkippedAsConfiguredAndCountersSeparateHistoricalFromBillableEvents() throws Exception {
        db.execute("CREATE TABLE a (id int PRIMARY KEY)", "INSERT INTO a SELECT generate_series(1, 10)");
        run.pipeline("with-new", db, "objects", "*: full-load");
        run.pipelineTo("without-new", db, "pgingest-duckdb:" + tmp.resolve("other.duckdb"),
                "objects", "a: full-load", "includeNewTables", "false");
        assertThat(run.once().exitCode()).isZero();

        db.execute("CREATE TABLE b (id int PRIMARY KEY)", "INSERT INTO b SELECT generate_series(1, 5)",
                "INSERT INTO a SELECT generate_series(11, 12)");
        assertThat(run.once().exitCode()).isZero();

        assertThat(run.duckCount("b")).as("a table created after the first run is loaded").isEqualTo(5);
        try (StateStore state = JdbcStateStore.open("jdbc:h2:file:" + tmp.resolve("state"), "sa", "")) {
            assertThat(state.object("without-new", "public.b").orElseThrow().status())
                    .as("with Include New Tables off the new table is listed as SKIPPED").isEqualTo(ObjectStatus.SKIPPED);
            assertThat(state.object("with-new", "public.b").orElseThrow().progress()).isEqualTo(ObjectProgress.SCHEDULED);
            StateStore.Counters a = state.counters("with-new").stream().filter(r -> r.object().equals("public.a"))
                    .map(StateStore.CounterRow::counters).reduce(StateStore.Counters.ZERO, StateStore.Counters::plus);
            assertThat(a).as("10 historical (free) rows, then a Full Load run of 12 billable rows")
                    .isEqualTo(new StateStore.Counters(22, 22, 0, 12));
        }
        assertThat(run.duck("SELECT count(*) FROM information_schema.tables WHERE table_name = 'b'").get(0).get(0))
                .isEqualTo(1L);
    }

    @Test
    void aPlainRouteWiringTheSharedBeansWorksLikeTheTemplate() throws Exception {
        db.execute("CREATE TABLE p (id int PRIMARY KEY, v text)", "INSERT INTO p VALUES (1, 'x'), (2, 'y')");
        run.write("plain.camel.yaml", String.join("\n",
                "- route:",
                "    id: plain",
                "    from:",
                "      uri: pgingest:plain",
                "      parameters:",
                "        mode: table",
                "        host: " + TestDatabase.HOST,
                "        port: " + TestDatabase.PORT,
                "        database: " + db.name(),
                "        user: " + TestDatabase.USER,
                "        objects: 'p: full-load'",
                "      steps:",
                "        - process: { ref: pgTypeMapping }",
                "        - process: { ref: pgNaming }",
                "        - to: pgingest-duckdb:" + run.duckdb,
                "        - process: { ref: pgBilling }",
                ""));
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(run.duck("SELECT id, v FROM p ORDER BY id")).containsExactly(List.of(1, "x"), List.of(2, "y"));
    }

    @Test
    void aBatchTheDestinationRejectsFailsTheRunAndKeepsTheCursorSoTheRowsArriveOnceFixed() throws Exception {
        try (TestDatabase dest = TestDatabase.create("dest")) {
            db.execute("CREATE TABLE notes (id int PRIMARY KEY, v text, at timestamptz NOT NULL)",
                    "INSERT INTO notes SELECT g, 'ok' || g, '2024-01-01'::timestamptz + g * interval '1 s' FROM generate_series(1, 20) g");
            run.pipelineTo("notes", db, PipelineRun.postgresDestination(dest), "objects", "notes: delta-timestamp(at)",
                    "batchSize", "5");
            assertThat(run.once().exitCode()).isZero();
            dest.execute("ALTER TABLE notes ADD CONSTRAINT no_bad CHECK (v <> 'bad')");
            db.execute("INSERT INTO notes SELECT g, CASE WHEN g = 23 THEN 'bad' ELSE 'ok' || g END, "
                    + "'2024-02-01'::timestamptz + g * interval '1 s' FROM generate_series(21, 30) g");

            PipelineRun.Result failed = run.once();

            assertThat(failed.exitCode()).as("an object failed: exit code 1").isEqualTo(1);
            assertThat(PipelineRun.pg(dest, "SELECT count(*) FROM notes").get(0).get(0))
                    .as("the page before the bad row was committed, nothing after it").isEqualTo(20L);

            dest.execute("ALTER TABLE notes DROP CONSTRAINT no_bad");
            assertThat(run.once().exitCode()).isZero();
            assertThat(PipelineRun.pg(dest, "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM notes").get(0))
                    .as("once the destination accepts the rows, every one arrives, none twice")
                    .containsExactly(30L, 30L, 1, 30);
        }
    }

    /**
     * Objects run several at a time (concurrentObjects), each on a connection of its own, into PostgreSQL (which writes
     * tables in parallel): every object of every shape loads, and one the destination rejects fails alone; the others'
     * rows, state and billing are whole, and the run lists the failed object.
     */
    @Test
    void objectsRunSeveralAtATimeAndOneTheDestinationRejectsFailsAlone() throws Exception {
        try (TestDatabase dest = TestDatabase.create("dest")) {
            List<String> ddl = new java.util.ArrayList<>();
            for (int i = 1; i <= 10; i++) {
                String t = String.format("t%02d", i);
                ddl.add(i % 3 == 0 ? "CREATE TABLE " + t + " (v text)" : "CREATE TABLE " + t + " (id int PRIMARY KEY, v text)");
                ddl.add("INSERT INTO " + t + (i % 3 == 0 ? " SELECT 'r' || g" : " SELECT g, 'r' || g")
                        + " FROM generate_series(1, 1000 * " + i + ") g");
            }
            db.execute(ddl.toArray(new String[0]));
            run.pipelineTo("many", db, PipelineRun.postgresDestination(dest), "batchSize", "700", "concurrentObjects", "4");

            assertThat(run.once().exitCode()).isZero();
            for (int i = 1; i <= 10; i++) {
                assertThat(PipelineRun.pg(dest, String.format("SELECT count(*), count(DISTINCT v) FROM t%02d", i)).get(0))
                        .as("t%02d", i).containsExactly(1000L * i, 1000L * i);
            }

            dest.execute("ALTER TABLE t05 ADD CONSTRAINT no_r3 CHECK (v <> 'r3') NOT VALID");
            db.execute("INSERT INTO t01 VALUES (100000, 'new')", "INSERT INTO t09 VALUES ('new')");
            PipelineRun.Output second = run.command("--once");

            assertThat(second.exitCode()).as("an object failed: exit code 1").isEqualTo(1);
            assertThat(second.stdout()).contains("1 of 10 objects failed: public.t05: ");
            assertThat(PipelineRun.pg(dest, "SELECT count(*) FROM t01").get(0).get(0)).isEqualTo(1001L);
            assertThat(PipelineRun.pg(dest, "SELECT count(*) FROM t09").get(0).get(0)).isEqualTo(9001L);
            assertThat(PipelineRun.pg(dest, "SELECT count(*) FROM t10").get(0).get(0)).isEqualTo(10000L);
            try (StateStore state = JdbcStateStore.open("jdbc:h2:file:" + tmp.resolve("state"), "sa", "")) {
                for (int i = 1; i <= 10; i++) {
                    String object = String.format("public.t%02d", i);
                    assertThat(state.object("many", object).orElseThrow().progress()).as(object)
                            .isEqualTo(i == 5 ? ObjectProgress.FAILED : ObjectProgress.SCHEDULED);
                }
                StateStore.Counters t10 = state.counters("many").stream().filter(r -> r.object().equals("public.t10"))
                        .map(StateStore.CounterRow::counters).reduce(StateStore.Counters.ZERO, StateStore.Counters::plus);
                assertThat(t10).as("a historical load, then a Full Load run: every batch counted once")
                        .isEqualTo(new StateStore.Counters(20_000, 20_000, 0, 10_000));
            }
        }
    }

    /**
     * A keyless Full Load is one COPY stream: when the destination rejects one of its batches, the rest of the stream is
     * read and dropped, so the next object of the run reads from the same source connection as usual.
     */
    @Test
    void aKeylessFullLoadTheDestinationRejectsFailsAloneAndTheNextObjectStillLoads() throws Exception {
        try (TestDatabase dest = TestDatabase.create("dest")) {
            db.execute("CREATE TABLE logs (msg text)", "INSERT INTO logs SELECT 'ok' || g FROM generate_series(1, 30) g",
                    "CREATE TABLE zz_after (id int PRIMARY KEY)", "INSERT INTO zz_after VALUES (1)");
            // one object at a time: zz_after is read on the connection the failed stream used
            run.pipelineTo("logs", db, PipelineRun.postgresDestination(dest), "batchSize", "4", "concurrentObjects", "1");
            assertThat(run.once().exitCode()).isZero();
            // the stream's first batch (rows ok1 to ok4) is rejected: the rest of the stream is still unread
            dest.execute("ALTER TABLE logs ADD CONSTRAINT no_ok2 CHECK (msg <> 'ok2') NOT VALID");
            db.execute("INSERT INTO zz_after VALUES (2), (3)");

            PipelineRun.Result failed = run.once();

            assertThat(failed.exitCode()).as("an object failed: exit code 1").isEqualTo(1);
            assertThat(PipelineRun.pg(dest, "SELECT count(*) FROM zz_after").get(0).get(0))
                    .as("the object after the failed stream loaded").isEqualTo(3L);
            dest.execute("ALTER TABLE logs DROP CONSTRAINT no_ok2");
            assertThat(run.once().exitCode()).isZero();
            assertThat(PipelineRun.pg(dest, "SELECT count(*), count(DISTINCT msg) FROM logs").get(0))
                    .as("the next run replaces the copy").containsExactly(30L, 30L);
        }
    }

    @Test
    void restartHistoricalLoadReadsEveryRowAgainAtTheNextRun() throws Exception {
        db.execute("CREATE TABLE notes (id int PRIMARY KEY, v text, at timestamptz NOT NULL)",
                "INSERT INTO notes SELECT g, 'v' || g, '2024-01-01'::timestamptz + g * interval '1 s' FROM generate_series(1, 30) g");
        run.pipeline("notes", db, "objects", "notes: delta-timestamp(at)", "batchSize", "10");
        assertThat(run.once().exitCode()).isZero();
        run.duckExecute("DELETE FROM notes WHERE id IN (3, 17)"); // lost at the destination: no later change brings them
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duckCount("notes")).as("an incremental run does not read old rows again").isEqualTo(28);

        try (StateStore state = JdbcStateStore.open("jdbc:h2:file:" + tmp.resolve("state"), "sa", "")) {
            assertThat(io.pgingest.source.HistoricalLoadRestart.request(state, "notes", "public.notes")).contains("next run");
            assertThat(state.object("notes", "public.notes").orElseThrow().progress()).isEqualTo(ObjectProgress.PENDING);
        }
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT count(*), count(DISTINCT id) FROM notes")).as("every row again, none twice")
                .containsExactly(List.of(30L, 30L));
        try (StateStore state = JdbcStateStore.open("jdbc:h2:file:" + tmp.resolve("state"), "sa", "")) {
            assertThat(state.object("notes", "public.notes").orElseThrow().progress()).isEqualTo(ObjectProgress.SCHEDULED);
        }
        db.execute("INSERT INTO notes VALUES (31, 'v31', now())");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duckCount("notes")).as("incremental runs go on from the restarted load's ceiling").isEqualTo(31);
    }
}
