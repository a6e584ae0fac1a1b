package io.pgingest.mapping;

import io.pgingest.it.PipelineRun;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every built-in PostgreSQL type streamed by logical replication (Debezium's values, {@code DebeziumValues}) into
 * the PostgreSQL destination: rows inserted while the pipeline streams arrive as the source holds them, as the
 * rows of its historical load do ({@link AllTypesEndToEndIT}). The destination is read back with the source's
 * readers, so every column is compared exactly.
 */
class StreamedTypesEndToEndIT {

    static TestDatabase source;
    static TestDatabase target;
    @TempDir
    static Path tmp;
    static PipelineRun run;

    @BeforeAll
    static void loadThenStream() throws Exception {
        source = TestDatabase.create("streamtypes_src");
        target = TestDatabase.create("streamtypes_dst");
        source.execute(AllTypesTable.DDL.toArray(new String[0]));
        // settings that change how the server prints intervals and bytea (array elements included): the historical load
        // sets its session's, the stream its walsender's (DebeziumProperties, database.options)
        source.execute("ALTER DATABASE " + source.name() + " SET IntervalStyle = 'iso_8601'",
                "ALTER DATABASE " + source.name() + " SET bytea_output = 'escape'");
        // types of extensions (PostgreSQL's contrib): Debezium knows some of them (hstore as a map, ...); a table source
        // reads their text. And a generated column, which PostgreSQL does not stream (ReadBackColumns reads it back)
        source.execute("CREATE DOMAIN intlist AS int[]", "CREATE EXTENSION hstore", "CREATE EXTENSION citext", "CREATE EXTENSION ltree",
                "CREATE EXTENSION cube", "CREATE EXTENSION isn",
                "CREATE TABLE ext_types (id integer PRIMARY KEY, c_hstore hstore, c_citext citext, c_ltree ltree,"
                        + " c_cube cube, c_isbn isbn, c_hstore_arr hstore[], c_citext_arr citext[],"
                        + " c_generated text GENERATED ALWAYS AS (c_citext || '/' || id) STORED, c_intlist intlist)",
                "INSERT INTO ext_types VALUES (1, 'a=>1, \"b c\"=>NULL', 'MiXeD', 'top.mid.leaf', '(1,2),(3,4.5)',"
                        + " '978-0-393-04002-9', ARRAY['x=>y'::hstore], ARRAY['A'::citext, 'b'], DEFAULT, '{{1,2},{3,4}}'),"
                        + " (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, DEFAULT, NULL)");
        run = new PipelineRun(tmp);
        run.pipelineTo("streamed", source, PipelineRun.postgresDestination(target), "mode", "logical-replication",
                "objects", "all_types\next_types", "retrySeconds", "0"); // a batch that cannot be written fails at once
        PipelineRun.Result load = run.once();
        assertThat(load.exitCode()).as("the historical load succeeds: " + load.stderr()).isZero();
        List<String> columns;
        try (Connection c = source.connect()) {
            columns = TypeMappingIT.read(c, "all_types", 1).keySet().stream().filter(n -> !n.equals("id")).toList();
        }
        String list = String.join(", ", columns);
        // rows 101-103: the values of rows 1-3 (typical, NULLs, edges), written while the pipeline streams
        source.execute("INSERT INTO all_types (id, " + list + ") SELECT id + 100, " + list + " FROM all_types",
                "INSERT INTO ext_types (id, c_hstore, c_citext, c_ltree, c_cube, c_isbn, c_hstore_arr, c_citext_arr, c_intlist)"
                        + " SELECT id + 100, c_hstore, c_citext, c_ltree, c_cube, c_isbn, c_hstore_arr, c_citext_arr, c_intlist"
                        + " FROM ext_types");
        PipelineRun.Result stream = run.once();
        assertThat(stream.exitCode()).as("the streaming run succeeds: " + stream.stderr()).isZero();
    }

    @AfterAll
    static void dropSlotsAndDatabases() throws Exception {
        source.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '"
                + source.name() + "'");
        source.close();
        target.close();
    }

    private static Map<String, Object> values(Map<String, Object> row) {
        Map<String, Object> m = new LinkedHashMap<>(row);
        m.keySet().removeIf(k -> k.startsWith("_pgingest_") || k.equals("id"));
        return m;
    }

    @Test
    void streamedRowsHoldEveryValueOfEveryTypeAsTheSourceDoes() throws Exception {
        try (Connection src = source.connect(); Connection dst = target.connect()) {
            try (java.sql.Statement s = src.createStatement()) {
                for (String setting : TypeMapping.SESSION_SETTINGS) { // as a table source reads (not the database's)
                    s.execute(setting);
                }
            }
            List<String> differ = new java.util.ArrayList<>();
            for (String table : List.of("all_types", "ext_types")) {
                for (int id = 101; id <= (table.equals("all_types") ? 103 : 102); id++) {
                    Map<String, Object> expected = values(TypeMappingIT.read(src, table, id));
                    Map<String, Object> actual = values(TypeMappingIT.read(dst, table, id));
                    assertThat(actual.keySet()).as("every column arrives").containsExactlyElementsOf(expected.keySet());
                    for (String column : expected.keySet()) {
                        if (!same(expected.get(column), actual.get(column))) {
                            differ.add((table.equals("all_types") ? "" : table + " ") + "row " + id + " " + column
                                    + ": source " + text(expected.get(column)) + ", destination " + text(actual.get(column)));
                        }
                    }
                }
            }
            assertThat(differ).as("columns whose streamed value differs from the source's: exactly the known ones"
                    + " (docs/type-mapping.md, \"Streamed values\")").map(d -> d.substring(0, d.indexOf(':')))
                    .containsExactlyInAnyOrderElementsOf(KNOWN_DIFFERENCES);
        }
    }

    /**
     * What still arrives differently from what the source holds: nothing, for tables with a key. Arrays of built-in
     * types and enums, int2vector/oidvector, bit strings and hstore arrive exactly since SourceTextConverter takes their
     * text; timetz (moved to UTC by Debezium 3.4), arrays of composite types, domains and hstore, and generated columns
     * are read back from the source after each batch (ReadBackColumns). Kept as a list so that a difference found later
     * is named here and in docs/type-mapping.md.
     */
    static final List<String> KNOWN_DIFFERENCES = List.of();

    private static boolean same(Object e, Object a) {
        if (e instanceof BigDecimal d && a instanceof BigDecimal b) {
            return d.compareTo(b) == 0;
        }
        if (e instanceof byte[] x && a instanceof byte[] y) {
            return java.util.Arrays.equals(x, y);
        }
        return java.util.Objects.equals(e, a);
    }

    private static String text(Object v) {
        return v instanceof byte[] b ? "bytes" + java.util.Arrays.toString(b)
                : v == null ? "null" : v + " (" + v.getClass().getSimpleName() + ")";
    }

    @Test
    void streamedRowsEqualTheLoadedRowsTheyCopy() throws Exception {
        try (Connection dst = target.connect()) {
            for (int id = 1; id <= 3; id++) {
                Map<String, Object> loaded = values(TypeMappingIT.read(dst, "all_types", id));
                Map<String, Object> streamed = values(TypeMappingIT.read(dst, "all_types", id + 100));
                int row = id;
                List<String> differ = loaded.keySet().stream().filter(c -> !same(loaded.get(c), streamed.get(c)))
                        .filter(c -> !KNOWN_DIFFERENCES.contains("row " + (row + 100) + " " + c)).collect(Collectors.toList());
                assertThat(differ).as("row %d: columns where the streamed copy differs from the loaded row", id).isEmpty();
            }
        }
    }
}
