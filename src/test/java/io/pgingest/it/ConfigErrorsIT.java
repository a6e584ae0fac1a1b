package io.pgingest.it;

import io.pgingest.PgIngest;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input stops the application before anything is written: exit code 2 and one line
 * naming the file, the pipeline and the key.
 */
class ConfigErrorsIT {

    static TestDatabase db;
    @TempDir
    Path tmp;
    PipelineRun run;

    @BeforeAll
    static void createSource() {
        db = TestDatabase.create("config");
        db.execute("CREATE TABLE orders (id int PRIMARY KEY, note text, updated_at timestamptz)",
                "INSERT INTO orders VALUES (1, 'a', now())",
                "CREATE VIEW order_notes AS SELECT note FROM orders");
    }

    @AfterAll
    static void dropSource() {
        db.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        run = new PipelineRun(tmp);
    }

    private void assertRejected(PipelineRun.Result result, String... fragments) {
        assertThat(result.exitCode()).as("exit code of a configuration error; stderr: " + result.stderr())
                .isEqualTo(PgIngest.CONFIG_ERROR);
        String line = result.stderr().lines().filter(l -> l.startsWith("pg-ingest: ")).findFirst().orElse("");
        assertThat(line).as("one line on stderr: " + result.stderr()).contains(fragments);
        assertThat(Files.exists(run.duckdb)).as("nothing is written to the destination").isFalse();
    }

    @Test
    void unknownModeNamesFileAndKey() throws Exception {
        run.pipeline("bad-mode", db).toFile();
        run.write("bad-mode.camel.yaml", Files.readString(tmp.resolve("routes/bad-mode.camel.yaml")).replace("value: 'table'", "value: 'tables'"));
        assertRejected(run.once(), "bad-mode.camel.yaml", "pipeline 'bad-mode'", "key 'mode'", "unknown mode 'tables'");
    }

    /** A misspelt setting: ignored, it ran the pipeline with the setting's default without a word. */
    @Test
    void unknownParameterNamesItAndTheSettingItIsClosestTo() throws Exception {
        run.pipeline("typo", db, "batchSzie", "5");
        assertRejected(run.once(), "typo.camel.yaml", "pipeline 'typo'", "key 'batchSzie'", "did you mean 'batchSize'");
    }

    /** A database the server does not have: named as the setting to fix (it was reported under 'host'). */
    @Test
    void aMissingDatabaseNamesTheDatabaseSetting() throws Exception {
        run.pipeline("no-db", db, "database", "no_such_database_" + db.suffix());
        assertRejected(run.once(), "no-db.camel.yaml", "key 'database'", "does not exist; fix: check 'database'");
    }

    /** A destination URI without its file: Camel's "Expected scheme-specific part at index 16" gets what to write. */
    @Test
    void aDestinationWithoutItsFileSaysWhatToWrite() throws Exception {
        run.pipelineTo("no-file", db, "pgingest-duckdb:");
        assertRejected(run.once(), "pgingest-duckdb:", "names no file; write e.g. pgingest-duckdb:data/warehouse.duckdb");
    }

    /**
     * The directory of the route files' pattern missing: Camel's own words ("NoSuchFileException: routes") did not say
     * which setting names it (found by the twenty-second session's probe, with -D giving another pattern than
     * config/application.properties, whose directory Camel looks in too).
     */
    @Test
    void aMissingDirectoryOfTheRouteFilesNamesTheSetting() throws Exception {
        Path routes = tmp.resolve("routes");
        if (Files.isDirectory(routes)) {
            try (var files = Files.list(routes)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(routes);
        }
        assertRejected(run.once(), "NoSuchFileException", "fix: the directory '" + routes + "' of camel.main.routes-include-pattern");
    }

    @Test
    void unknownQueryMode() throws Exception {
        run.pipeline("bad-query-mode", db, "objects", "orders: incremental(id)");
        assertRejected(run.once(), "bad-query-mode.camel.yaml", "key 'objects'", "unknown query mode");
    }

    @Test
    void missingCursorColumn() throws Exception {
        run.pipeline("no-column", db, "objects", "orders: delta-timestamp(changed_at)");
        assertRejected(run.once(), "no-column.camel.yaml", "key 'objects'", "\"changed_at\"", "does not exist in public.orders");
    }

    @Test
    void cursorColumnOfTheWrongType() throws Exception {
        run.pipeline("wrong-type", db, "objects", "orders: delta-timestamp(note)");
        assertRejected(run.once(), "key 'objects'", "has type text");
    }

    @Test
    void viewNamedExplicitly() throws Exception {
        run.pipeline("view", db, "objects", "order_notes: full-load");
        assertRejected(run.once(), "key 'objects'", "view");
    }

    @Test
    void frequencyNotWholeHours() throws Exception {
        run.pipeline("freq", db, "frequency", "1.5h");
        assertRejected(run.once(), "freq.camel.yaml", "key 'frequency'", "1h to 24h");
    }

    @Test
    void duplicatePipelineNameInTwoFiles() throws Exception {
        run.pipeline("dup", db);
        run.write("dup-copy.camel.yaml", Files.readString(tmp.resolve("routes/dup.camel.yaml")).replace("routeId: dup", "routeId: dup2"));
        assertRejected(run.once(), "pipeline 'dup'", "used by two pipelines");
    }

    @Test
    void nameLongerThan255Characters() throws Exception {
        run.pipeline("n".repeat(256), db);
        assertRejected(run.once(), "key 'pipeline'", "at most 255");
    }

    @Test
    void unreachableDatabase() throws Exception {
        run.pipeline("down", db, "port", "1");
        assertRejected(run.once(), "down.camel.yaml", "pipeline 'down'", "cannot connect");
    }

    @Test
    void malformedYaml() throws Exception {
        run.write("broken.camel.yaml", "- templatedRoute:\n    routeTemplateRef: pg-ingest\n   parameters: [\n");
        assertRejected(run.once(), "broken.camel.yaml");
    }
}
