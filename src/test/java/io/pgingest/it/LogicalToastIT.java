package io.pgingest.it;

import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Unchanged TOASTed values (issue 3, item 4): an UPDATE that does not touch a large value stored out of line sends
 * no value for it (pgoutput's "unchanged TOAST" column, which Debezium replaces with a placeholder whose form
 * depends on the column's type: text, a list of one text, of one byte array, of the placeholder's bytes as ints,
 * of a UUID made from them...). The destination must keep the value it holds, for every kind of column, into
 * DuckDB and into PostgreSQL, with the table's default replica identity and with FULL.
 */
class LogicalToastIT {

    /** Columns whose values are stored out of line (STORAGE EXTERNAL: no compression, TOASTed above ~2 kB). */
    private static final List<String> LARGE = List.of("big_text", "big_json", "big_bytes", "ints", "bigs", "days",
            "ids", "texts", "nums", "grid", "moods", "tags", "listed");

    @TempDir
    Path tmp;

    private TestDatabase db;
    private TestDatabase target;
    private PipelineRun run;

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabase.create("toast");
        target = TestDatabase.create("toast_dst");
        db.execute("CREATE TYPE mood AS ENUM ('happy', 'sad')", "CREATE EXTENSION hstore", "CREATE DOMAIN intlist AS int[]");
        for (String table : List.of("toasty", "toasty_full")) {
            db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, note text, big_text text, big_json jsonb,"
                            + " big_bytes bytea, ints int[], bigs bigint[], days date[], ids uuid[], texts text[],"
                            + " nums numeric[], grid int[][], moods mood[], tags hstore, listed intlist)",
                    "INSERT INTO " + table + " SELECT i, 'note ' || i, repeat('x', 9000) || i,"
                            + " (SELECT jsonb_agg(g) FROM generate_series(1, 2000) g),"
                            + " decode(repeat('ab', 6000), 'hex'),"
                            + " ARRAY(SELECT g * i FROM generate_series(1, 3000) g),"
                            + " ARRAY(SELECT g::bigint * 1000000000 FROM generate_series(1, 3000) g),"
                            + " ARRAY(SELECT date '2020-01-01' + g FROM generate_series(1, 1000) g),"
                            + " ARRAY(SELECT md5(g::text)::uuid FROM generate_series(1, 300) g),"
                            + " ARRAY(SELECT 'text ' || g FROM generate_series(1, 1000) g),"
                            + " ARRAY(SELECT g / 7.0 FROM generate_series(1, 1000) g),"
                            + " ARRAY(SELECT ARRAY[g, g + 1] FROM generate_series(1, 1000) g),"
                            + " ARRAY(SELECT CASE WHEN g % 2 = 0 THEN 'happy' ELSE 'sad' END::mood FROM generate_series(1, 1000) g),"
                            + " hstore(ARRAY(SELECT 'key' || g FROM generate_series(1, 500) g),"
                            + " ARRAY(SELECT 'value ' || g FROM generate_series(1, 500) g)),"
                            + " ARRAY(SELECT ARRAY[g, -g] FROM generate_series(1, 1000) g)"
                            + " FROM generate_series(1, 3) i");
            for (String column : LARGE) {
                db.execute("ALTER TABLE " + table + " ALTER COLUMN " + column + " SET STORAGE EXTERNAL");
            }
            // the values above were stored before the storage changed: rewrite them out of line
            db.execute("UPDATE " + table + " SET big_text = big_text || '', big_json = big_json || '[]',"
                    + " big_bytes = big_bytes || '', ints = ints || ARRAY[]::int[], bigs = bigs || ARRAY[]::bigint[],"
                    + " days = days || ARRAY[]::date[], ids = ids || ARRAY[]::uuid[], texts = texts || ARRAY[]::text[],"
                    + " nums = nums || ARRAY[]::numeric[], grid = grid || ARRAY[]::int[], moods = moods || ARRAY[]::mood[],"
                    + " tags = tags || ''::hstore, listed = listed || ARRAY[]::int[]");
        }
        db.execute("ALTER TABLE toasty_full REPLICA IDENTITY FULL");
        run = new PipelineRun(tmp);
    }

    @AfterEach
    void dropSlotsAndDatabases() throws Exception {
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.name() + "'");
        db.close();
        target.close();
    }

    @Test
    void theValuesAreStoredOutOfLine() throws Exception {
        for (String column : LARGE) {
            List<List<Object>> rows = PipelineRun.pg(db, "SELECT pg_column_size(" + column + ") > 2000"
                    + " AND pg_column_size(" + column + ") >= octet_length(" + column + "::text) / 4 FROM toasty");
            assertThat(rows).as(column + " is large and stored uncompressed").allSatisfy(r -> assertThat(r.get(0)).isEqualTo(true));
        }
    }

    @Test
    void anUpdateOfAnotherColumnKeepsEveryToastedValueInDuckDb() throws Exception {
        run.pipeline("toast_duck_" + db.suffix(), db, "mode", "logical-replication");
        updateOtherColumnsThenCompare(sql -> run.duck(sql), "CAST(%s AS VARCHAR)");
    }

    @Test
    void anUpdateOfAnotherColumnKeepsEveryToastedValueInPostgres() throws Exception {
        run.pipelineTo("toast_pg_" + db.suffix(), db, PipelineRun.postgresDestination(target), "mode", "logical-replication");
        updateOtherColumnsThenCompare(sql -> PipelineRun.pg(target, sql), "%s::text");
    }

    /** The start of a long value, for failure messages. */
    private static String start(Object v) {
        String s = String.valueOf(v);
        return s.length() > 100 ? s.substring(0, 100) + "... (" + s.length() + " characters)" : s;
    }

    interface Query {
        List<List<Object>> rows(String sql) throws Exception;
    }

    private void updateOtherColumnsThenCompare(Query destination, String asText) throws Exception {
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        String columns = String.join(", ", LARGE.stream().map(c -> String.format(asText, c)).toList());
        List<List<Object>> before = new ArrayList<>();
        for (String table : List.of("toasty", "toasty_full")) {
            before.addAll(destination.rows("SELECT id, " + columns + " FROM " + table + " ORDER BY id"));
        }
        assertThat(before).as("the loaded values are the large ones").hasSize(6).allSatisfy(row -> {
            for (int i = 1; i < row.size(); i++) {
                assertThat(row.get(i)).as(LARGE.get(i - 1)).asString().hasSizeGreaterThan(2000);
            }
        });

        for (String table : List.of("toasty", "toasty_full")) {
            // rows 1 and 3 once; row 2 twice in one transaction
            db.execute("UPDATE " + table + " SET note = 'changed' WHERE id = 1",
                    "BEGIN; UPDATE " + table + " SET note = 'first' WHERE id = 2; UPDATE " + table
                            + " SET note = 'changed' WHERE id = 2; COMMIT",
                    "UPDATE " + table + " SET note = 'changed' WHERE id = 3");
        }
        assertThat(run.once().exitCode()).as("the streaming run succeeds").isZero();

        List<List<Object>> after = new ArrayList<>();
        for (String table : List.of("toasty", "toasty_full")) {
            assertThat(destination.rows("SELECT note FROM " + table + " ORDER BY id")).as(table + ": the updates arrived")
                    .containsExactly(List.of("changed"), List.of("changed"), List.of("changed"));
            after.addAll(destination.rows("SELECT id, " + columns + " FROM " + table + " ORDER BY id"));
        }
        for (int r = 0; r < before.size(); r++) {
            for (int i = 1; i < before.get(r).size(); i++) {
                Object was = before.get(r).get(i);
                Object is = after.get(r).get(i);
                assertThat(is).withFailMessage("row %s of %s: %s changed from %s to %s", after.get(r).get(0),
                        r < 3 ? "toasty" : "toasty_full", LARGE.get(i - 1), start(was), start(is)).isEqualTo(was);
            }
        }
    }

    @Test
    void anAppendedChangeOfATableWithoutKeyCarriesItsUnchangedToastedValue() throws Exception {
        db.execute("CREATE TABLE bag (n int, note text, big text)", "ALTER TABLE bag REPLICA IDENTITY FULL",
                "ALTER TABLE bag ALTER COLUMN big SET STORAGE EXTERNAL", "INSERT INTO bag VALUES (1, 'a', repeat('y', 9000))");
        run.pipeline("toast_bag_" + db.suffix(), db, "mode", "logical-replication", "objects", "public.bag");
        assertThat(run.once().exitCode()).as("the historical load succeeds").isZero();
        db.execute("UPDATE bag SET note = 'b' WHERE n = 1");
        assertThat(run.once().exitCode()).as("the streaming run succeeds").isZero();
        assertThat(run.duck("SELECT note, length(big) FROM bag ORDER BY _pgingest_position, note"))
                .as("the appended row of the update holds the large value it did not change")
                .containsExactly(List.of("a", 9000L), List.of("b", 9000L));
    }

    @Test
    void anUpdateOfTheKeyKeepsTheUnchangedToastedValuesInBothDestinations() throws Exception {
        run.pipeline("toast_key_duck_" + db.suffix(), db, "mode", "logical-replication", "objects", "public.toasty");
        run.pipelineTo("toast_key_pg_" + db.suffix(), db, PipelineRun.postgresDestination(target), "mode",
                "logical-replication", "objects", "public.toasty");
        assertThat(run.once().exitCode()).as("the historical loads succeed").isZero();
        String duckColumns = String.join(", ", LARGE.stream().map(c -> "CAST(" + c + " AS VARCHAR)").toList());
        String pgColumns = String.join(", ", LARGE.stream().map(c -> c + "::text").toList());
        List<Object> duckBefore = run.duck("SELECT " + duckColumns + " FROM toasty WHERE id = 1").get(0);
        List<Object> pgBefore = PipelineRun.pg(target, "SELECT " + pgColumns + " FROM toasty WHERE id = 1").get(0);

        // the new key's row is sent without the values the update did not change (Debezium: a delete and an insert)
        db.execute("UPDATE toasty SET id = 101, note = 'moved' WHERE id = 1");
        assertThat(run.once().exitCode()).as("the streaming runs succeed").isZero();
        List<Object> duckAfter = run.duck("SELECT " + duckColumns + " FROM toasty WHERE id = 101").get(0);
        List<Object> pgAfter = PipelineRun.pg(target, "SELECT " + pgColumns + " FROM toasty WHERE id = 101").get(0);
        for (int i = 0; i < LARGE.size(); i++) {
            assertThat(duckAfter.get(i)).withFailMessage("DuckDB: %s of the new key is %s", LARGE.get(i), start(duckAfter.get(i)))
                    .isEqualTo(duckBefore.get(i));
            assertThat(pgAfter.get(i)).withFailMessage("PostgreSQL: %s of the new key is %s", LARGE.get(i), start(pgAfter.get(i)))
                    .isEqualTo(pgBefore.get(i));
        }
        assertThat(run.duck("SELECT _pgingest_deleted FROM toasty WHERE id = 1")).as("the old key is deleted")
                .containsExactly(List.of(true));
    }
}
