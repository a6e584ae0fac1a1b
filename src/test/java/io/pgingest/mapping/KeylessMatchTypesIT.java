package io.pgingest.mapping;

import io.pgingest.it.PipelineRun;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code keylessTables: match} over every built-in type ({@link AllTypesTable}: typical values, NULLs, edge values):
 * a streamed old row must equal the row the historical load wrote, column for column, for the update or delete to find
 * it. A column of a type whose streamed value differed from the loaded one would leave the old rows live.
 */
class KeylessMatchTypesIT {

    @TempDir
    Path tmp;

    private TestDatabase source;
    private PipelineRun run;

    @BeforeEach
    void setUp() throws Exception {
        source = TestDatabase.create("keyless_types");
        source.execute(AllTypesTable.DDL.toArray(new String[0]));
        source.execute("CREATE TABLE zoo AS SELECT * FROM all_types", "ALTER TABLE zoo REPLICA IDENTITY FULL");
        run = new PipelineRun(tmp);
    }

    @AfterEach
    void dropSlotsAndDatabase() throws Exception {
        source.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '"
                + source.name() + "'");
        source.close();
    }

    @Test
    void intoDuckDbEveryTypeMatches() throws Exception {
        run.pipeline("zoo_" + source.suffix(), source, "mode", "logical-replication", "objects", "zoo",
                "keylessTables", "match", "retrySeconds", "0");
        updateDeleteAndCheck(sql -> run.duck(sql));
    }

    @Test
    void intoPostgresEveryTypeMatches() throws Exception {
        try (TestDatabase target = TestDatabase.create("keyless_types_dst")) {
            run.pipelineTo("zoo_" + source.suffix(), source, PipelineRun.postgresDestination(target), "mode",
                    "logical-replication", "objects", "zoo", "keylessTables", "match", "retrySeconds", "0");
            updateDeleteAndCheck(sql -> PipelineRun.pg(target, sql));
        }
    }

    private interface Query {
        List<List<Object>> rows(String sql) throws Exception;
    }

    private void updateDeleteAndCheck(Query destination) throws Exception {
        PipelineRun.Result load = run.once();
        assertThat(load.exitCode()).as(load.stderr()).isZero();
        source.execute("UPDATE zoo SET id = id + 10");
        PipelineRun.Result stream = run.once();
        assertThat(stream.exitCode()).as(stream.stderr()).isZero();
        List<String> differ = new java.util.ArrayList<>();
        for (List<Object> c : destination.rows("SELECT column_name FROM information_schema.columns WHERE table_name = 'zoo'")) {
            String q = "\"" + c.get(0) + "\"";
            if (!c.get(0).toString().startsWith("_pgingest") && !c.get(0).equals("id") && Boolean.FALSE.equals(destination.rows(
                    "SELECT CAST(a." + q + " AS VARCHAR) IS NOT DISTINCT FROM CAST(b." + q + " AS VARCHAR) FROM zoo a, zoo b"
                            + " WHERE a.id = 1 AND b.id = 11").get(0).get(0))) {
                differ.add(c.get(0) + ": " + destination.rows("SELECT CAST(" + q + " AS VARCHAR) FROM zoo WHERE id IN (1, 11)"
                        + " ORDER BY id"));
            }
        }
        assertThat(differ).as("the typical values as loaded (row 1) and as streamed (row 11): only timetz differs (at UTC;"
                + " not matched on)").singleElement().asString().startsWith("c_timetz: ");
        source.execute("DELETE FROM zoo WHERE id = 12");
        PipelineRun.Result delete = run.once();
        assertThat(delete.exitCode()).as(delete.stderr()).isZero();
        assertThat(destination.rows("SELECT id, _pgingest_deleted FROM zoo ORDER BY id"))
                .as("each loaded row (typical values, NULLs, edge values) found by its values and soft-deleted by the"
                        + " update; the updated row 12 by the delete")
                .containsExactly(List.of(1, true), List.of(2, true), List.of(3, true), List.of(11, false),
                        List.of(12, true), List.of(13, false));
    }
}
