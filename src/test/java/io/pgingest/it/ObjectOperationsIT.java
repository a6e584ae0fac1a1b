package io.pgingest.it;

import io.pgingest.source.logical.ReplicationNames;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator's {@code --include-object} and {@code --skip-object} of the real application, in both modes: a table
 * skipped because Include New Tables is off, or because the pipeline started with every object skipped, is loaded
 * once included; a skipped table's changes stop reaching the destination, also when 'objects' names it.
 */
class ObjectOperationsIT {

    @TempDir
    Path tmp;

    private TestDatabase db;
    private PipelineRun run;
    private String name;

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabase.create("objops");
        db.execute("CREATE TABLE a (id int PRIMARY KEY, v text)", "INSERT INTO a VALUES (1, 'a1'), (2, 'a2')");
        run = new PipelineRun(tmp);
        name = "objops_" + db.suffix();
    }

    @AfterEach
    void tearDown() {
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.name() + "'");
        db.close();
    }

    @Test
    void tableModeIncludesASkippedNewTableAndHoldsAnOperatorsSkip() throws Exception {
        run.pipeline(name, db, "includeNewTables", "false");
        assertThat(run.once().exitCode()).isZero();
        db.execute("CREATE TABLE b (id int PRIMARY KEY)", "INSERT INTO b VALUES (1), (2), (3)");
        assertThat(run.once().exitCode()).isZero();
        assertThat(status("public.b")).contains("SKIPPED").contains("Include New Tables is off");

        PipelineRun.Output included = run.command("--include-object", name, "public.b");
        assertThat(included.exitCode()).as(included.stderr()).isZero();
        assertThat(included.stdout()).contains("public.b is included");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duckCount("b")).as("b's historical load ran").isEqualTo(3);

        PipelineRun.Output skipped = run.command("--skip-object", name, "public.a");
        assertThat(skipped.exitCode()).as(skipped.stderr()).isZero();
        db.execute("INSERT INTO a VALUES (3, 'a3')");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duckCount("a")).as("a skipped: its new row did not arrive").isEqualTo(2);
        // naming it in 'objects' does not undo the operator's skip
        run.pipeline(name, db, "includeNewTables", "false", "objects", "a: full-load\nb: full-load");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duckCount("a")).isEqualTo(2);
        assertThat(status("public.a")).contains("SKIPPED").contains("skipped by an operator");

        assertThat(run.command("--include-object", name, "public.a").exitCode()).isZero();
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duckCount("a")).as("included again: loaded again").isEqualTo(3);

        PipelineRun.Output unknown = run.command("--include-object", name, "public.nope");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.stderr()).contains("has no object public.nope").contains("public.a");
    }

    @Test
    void logicalReplicationStartsWithEverythingSkippedThenIncludesAndSkipsAtTheNextStart() throws Exception {
        db.execute("CREATE TABLE b (id int PRIMARY KEY)", "INSERT INTO b VALUES (1)");
        run.pipeline(name, db, "mode", "logical-replication", "skipObjectsAtStart", "true");
        assertThat(run.once().exitCode()).isZero();
        assertThat(status("public.a")).contains("SKIPPED").contains("skipObjectsAtStart");
        assertThat(PipelineRun.pg(db, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '"
                + ReplicationNames.slot(name) + "'")).as("the pipeline is active: its slot exists").containsExactly(List.of(1L));

        assertThat(run.command("--include-object", name, "public.a").exitCode()).isZero();
        db.execute("INSERT INTO a VALUES (3, 'a3')");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT count(*) FROM a WHERE NOT _pgingest_deleted")).as("a loaded").containsExactly(List.of(3L));
        assertThat(run.duck("SELECT count(*) FROM information_schema.tables WHERE table_name = 'b'"))
                .as("b still skipped").containsExactly(List.of(0L));
        db.execute("UPDATE a SET v = 'streamed' WHERE id = 1");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT v FROM a WHERE id = 1")).containsExactly(List.of("streamed"));

        assertThat(run.command("--skip-object", name, "public.a").exitCode()).isZero();
        db.execute("UPDATE a SET v = 'not wanted' WHERE id = 2");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duck("SELECT v FROM a WHERE id = 2")).as("a skipped: its change was not written").containsExactly(List.of("a2"));
        assertThat(publicationTables()).as("and it left the publication").doesNotContain("a");
    }

    @Test
    void aTableIncludedWhileStreamingIsLoadedAndStreamedAndOneSkippedStops() throws Exception {
        db.execute("CREATE TABLE b (id int PRIMARY KEY)", "INSERT INTO b VALUES (1), (2)");
        try (TestDatabase dest = TestDatabase.create("objopsdest")) {
            run.pipelineTo(name, db, PipelineRun.postgresDestination(dest), "mode", "logical-replication",
                    "skipObjectsAtStart", "true");
            assertThat(run.once().exitCode()).isZero();
            try (PipelineRun.Streaming streaming = run.stream()) {
                assertThat(run.command("--include-object", name, "public.a").exitCode()).isZero();
                assertThat(run.command("--include-object", name, "public.b").exitCode()).isZero();
                assertThat(PipelineRun.eventually(Duration.ofSeconds(60), () -> count(dest, "a") == 2 && count(dest, "b") == 2))
                        .as("both loaded while streaming").isTrue();
                db.execute("INSERT INTO b VALUES (3)");
                assertThat(PipelineRun.eventually(Duration.ofSeconds(60), () -> count(dest, "b") == 3)).as("b streams").isTrue();

                assertThat(run.command("--skip-object", name, "public.b").exitCode()).isZero();
                assertThat(PipelineRun.eventually(Duration.ofSeconds(60), () -> status("public.b").contains("not streamed since")))
                        .as("the running pipeline stopped streaming b").isTrue();
                db.execute("INSERT INTO b VALUES (4)", "INSERT INTO a VALUES (3, 'probe')");
                assertThat(PipelineRun.eventually(Duration.ofSeconds(60), () -> count(dest, "a") == 3))
                        .as("a still streams").isTrue();
                assertThat(count(dest, "b")).as("b's change after the skip was not written").isEqualTo(3);
                assertThat(streaming.stop()).isZero();
            }
        }
    }

    @Test
    void aPausedTableModeObjectResumesFromItsCursorAndAPausedLogicalTableIsLoadedAgain() throws Exception {
        db.execute("CREATE TABLE e (id int PRIMARY KEY, v text)", "INSERT INTO e VALUES (1, 'e1'), (2, 'e2')");
        run.pipeline("polled_" + name, db, "objects", "e: append-only(id)");
        assertThat(run.once().exitCode()).isZero();
        Object loadedAt = run.duck("SELECT _pgingest_loaded_at FROM e WHERE id = 1").get(0).get(0);
        PipelineRun.Output paused = run.command("--pause-object", "polled_" + name, "public.e");
        assertThat(paused.exitCode()).as(paused.stderr()).isZero();
        db.execute("INSERT INTO e VALUES (3, 'e3'), (4, 'e4')");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duckCount("e")).as("paused: nothing read").isEqualTo(2);
        assertThat(run.command("--resume-object", "polled_" + name, "public.e").exitCode()).isZero();
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.duckCount("e")).as("resumed from the cursor: the rows added while paused arrived").isEqualTo(4);
        assertThat(run.duck("SELECT _pgingest_loaded_at FROM e WHERE id = 1").get(0).get(0))
                .as("and the rows before were not loaded again").isEqualTo(loadedAt);
        PipelineRun.Output again = run.command("--resume-object", "polled_" + name, "public.e");
        assertThat(again.exitCode()).isEqualTo(2);
        assertThat(again.stderr()).contains("only a paused object can be resumed");

        java.nio.file.Files.delete(tmp.resolve("routes").resolve("polled_" + name + ".camel.yaml"));
        run.pipelineTo(name, db, "pgingest-duckdb:" + tmp.resolve("logical.duckdb"), "mode", "logical-replication",
                "objects", "a");
        assertThat(run.once().exitCode()).isZero();
        assertThat(run.command("--pause-object", name, "public.a").exitCode()).isZero();
        db.execute("UPDATE a SET v = 'while paused' WHERE id = 1", "INSERT INTO a VALUES (100, 'gone soon')");
        assertThat(run.once().exitCode()).isZero();
        assertThat(PipelineRun.duck(tmp.resolve("logical.duckdb"), "SELECT v FROM a WHERE id = 1")).containsExactly(List.of("a1"));
        db.execute("DELETE FROM a WHERE id = 2");
        assertThat(run.command("--resume-object", name, "public.a").exitCode()).isZero();
        assertThat(run.once().exitCode()).isZero();
        assertThat(PipelineRun.duck(tmp.resolve("logical.duckdb"), "SELECT v FROM a WHERE id = 1"))
                .as("resumed: loaded again, so the change made while paused is there").containsExactly(List.of("while paused"));
        assertThat(PipelineRun.duck(tmp.resolve("logical.duckdb"), "SELECT id FROM a WHERE NOT _pgingest_deleted ORDER BY id"))
                .as("and a row deleted while paused is soft-deleted (before the twentieth session it stayed live)")
                .isEqualTo(PipelineRun.pg(db, "SELECT id FROM a ORDER BY id"));
    }

    private String status(String object) {
        PipelineRun.Output out = run.command("--status");
        return out.stdout().lines().filter(l -> l.contains(" " + object + " ")).findFirst().orElse("(no line for " + object + ")");
    }

    private static long count(TestDatabase dest, String table) {
        try {
            return ((Number) PipelineRun.pg(dest, "SELECT count(*) FROM " + table).get(0).get(0)).longValue();
        } catch (java.sql.SQLException e) {
            return -1; // not created yet
        }
    }

    private List<String> publicationTables() throws Exception {
        return PipelineRun.pg(db, "SELECT tablename FROM pg_publication_tables WHERE pubname = '"
                + ReplicationNames.slot(name) + "'").stream().map(r -> (String) r.get(0)).toList();
    }
}
