package io.pgingest.mapping;

import io.pgingest.it.PipelineRun;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every built-in PostgreSQL type through the whole application into both destinations: the
 * destination holds what the source holds. PostgreSQL destination values are read back with the
 * same readers as the source, so every column is compared exactly; DuckDB values are compared
 * through DuckDB's JDBC classes for the types it returns as plain Java values.
 */
class AllTypesEndToEndIT {

    static TestDatabase source;
    static TestDatabase target;
    @TempDir
    static Path tmp;
    static PipelineRun run;

    @BeforeAll
    static void replicateBothWays() throws Exception {
        source = TestDatabase.create("alltypes_src");
        target = TestDatabase.create("alltypes_dst");
        source.execute(AllTypesTable.DDL.toArray(new String[0]));
        // the columns the PostgreSQL destination copies on as they are: pages of all types are read with COPY (FORMAT
        // binary), but a timetz column (no binary encoder in CopyBinary) makes the writer decode and copy all_types as text
        source.execute("CREATE TABLE binary_types AS SELECT * FROM all_types",
                "ALTER TABLE binary_types ADD PRIMARY KEY (id), DROP COLUMN c_timetz",
                // without key: read as one COPY stream cut into batches
                "CREATE TABLE binary_types_nokey AS SELECT * FROM binary_types");
        String objects = "all_types: full-load\nbinary_types: full-load\nbinary_types_nokey: full-load";
        run = new PipelineRun(tmp);
        run.pipeline("to-duckdb", source, "objects", objects);
        run.pipelineTo("to-postgres", source, PipelineRun.postgresDestination(target), "objects", objects);
        PipelineRun.Result result = run.once();
        assertThat(result.exitCode()).as("both pipelines succeed: " + result.stderr()).isZero();
    }

    @AfterAll
    static void dropDatabases() {
        source.close();
        target.close();
    }

    private static Map<String, Object> withoutMetadata(Map<String, Object> row) {
        Map<String, Object> m = new LinkedHashMap<>(row);
        m.keySet().removeIf(k -> k.startsWith("_pgingest_"));
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"all_types", "binary_types", "binary_types_nokey"})
    void postgresDestinationHoldsEveryValueOfEveryTypeExactly(String table) throws Exception {
        try (Connection src = source.connect(); Connection dst = target.connect()) {
            for (int id = 1; id <= 3; id++) {
                Map<String, Object> expected = TypeMappingIT.read(src, table, id);
                Map<String, Object> actual = withoutMetadata(TypeMappingIT.read(dst, table, id));
                assertThat(actual.keySet()).as("every column arrives, names unchanged (already lower case)")
                        .containsExactlyElementsOf(expected.keySet());
                for (String column : expected.keySet()) {
                    Object e = expected.get(column);
                    Object a = actual.get(column);
                    if (e instanceof BigDecimal d && a instanceof BigDecimal b) {
                        assertThat(b).as("row %d, %s", id, column).isEqualByComparingTo(d);
                    } else if (e instanceof byte[] bytes) {
                        assertThat((byte[]) a).as("row %d, %s", id, column).isEqualTo(bytes);
                    } else {
                        assertThat(a).as("row %d, %s", id, column).isEqualTo(e);
                    }
                }
            }
        }
    }

    private static long duckValue(Connection duck, String table, String expression) throws Exception {
        try (Statement s = duck.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + expression + " FROM " + table + " WHERE id = 1")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"all_types", "binary_types", "binary_types_nokey"})
    void duckDbDestinationHoldsEveryValueItReturnsAsPlainJavaValues(String table) throws Exception {
        Map<String, Object> expected;
        try (Connection src = source.connect()) {
            expected = TypeMappingIT.read(src, table, 1);
        }
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:" + run.duckdb);
             Statement s = duck.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM " + table + " WHERE id = 1")) {
            assertThat(rs.next()).isTrue();
            int compared = 0;
            for (Map.Entry<String, Object> e : expected.entrySet()) {
                if (e.getKey().contains("interval")) {
                    continue; // DuckDB prints INTERVAL in its own words; DuckDbWriterIT compares its parts
                }
                Object want = e.getValue();
                Object got;
                // DuckDB's JDBC mis-converts BC dates to java.time: compare epoch days / microseconds
                if (want instanceof LocalDate d) {
                    got = duckValue(duck, table, "datediff('day', DATE '1970-01-01', " + e.getKey() + ")");
                    want = d.toEpochDay();
                } else if (want instanceof LocalDateTime t) {
                    got = duckValue(duck, table, "epoch_us(" + e.getKey() + ")");
                    want = java.time.temporal.ChronoUnit.MICROS.between(LocalDateTime.of(1970, 1, 1, 0, 0), t);
                } else if (want instanceof OffsetDateTime) {
                    got = rs.getObject(e.getKey(), OffsetDateTime.class).toInstant();
                    want = ((OffsetDateTime) want).toInstant();
                } else if (want instanceof byte[]) {
                    java.sql.Blob blob = rs.getBlob(e.getKey());
                    got = blob.getBytes(1, (int) blob.length());
                } else if (want instanceof String || want instanceof Number || want instanceof Boolean
                        || want instanceof java.util.UUID) {
                    got = rs.getObject(e.getKey());
                } else {
                    continue;
                }
                compared++;
                if (want instanceof BigDecimal d) {
                    assertThat(new BigDecimal(got.toString())).as(e.getKey()).isEqualByComparingTo(d);
                } else if (want instanceof Number n && got instanceof Number g && !(want instanceof BigDecimal)) {
                    assertThat(g.doubleValue()).as(e.getKey()).isEqualTo(n.doubleValue());
                } else if (want instanceof String) {
                    assertThat(got == null ? null : got.toString()).as(e.getKey()).isEqualTo(want);
                } else {
                    assertThat(got).as(e.getKey()).isEqualTo(want);
                }
            }
            assertThat(compared).as("most columns are compared").isGreaterThan(expected.size() * 3 / 4);
        }
        assertThat(run.duckCount(table)).isEqualTo(3);
    }
}
