package io.pgingest.destination.duckdb;

import static io.pgingest.destination.TestBatches.column;
import static io.pgingest.destination.TestBatches.decimal;
import static io.pgingest.destination.TestBatches.historical;
import static io.pgingest.destination.TestBatches.row;
import static io.pgingest.destination.TestBatches.upsert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgingest.destination.DestinationWriter;
import io.pgingest.destination.DestinationWriterContract;
import io.pgingest.destination.TestBatches;
import io.pgingest.event.Column;
import io.pgingest.event.LogicalType;
import io.pgingest.testsupport.ResultRows;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DuckDbWriterIT extends DestinationWriterContract {

    @TempDir
    static Path dir;
    static DuckDbWriter writer;

    @BeforeAll
    static void open() throws Exception {
        writer = new DuckDbWriter(dir.resolve("nested/dir/dest.duckdb"));
    }

    @AfterAll
    static void close() throws Exception {
        writer.close();
    }

    @Override
    protected DestinationWriter writer() {
        return writer;
    }

    @Override
    protected List<List<Object>> query(String sql) throws Exception {
        try (Connection c = writer.database().duplicate(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return ResultRows.of(rs);
        }
    }

    @Override
    protected String typeOf(String table, String column) throws Exception {
        List<List<Object>> rows = query("SELECT data_type FROM duckdb_columns() WHERE table_name = '" + table
                + "' AND column_name = '" + column + "'");
        return rows.isEmpty() ? null : rows.get(0).get(0).toString().toLowerCase();
    }

    @Test
    void createsFileAndParentDirectories() {
        assertThat(Files.exists(dir.resolve("nested/dir/dest.duckdb"))).as("the DuckDB file was created").isTrue();
    }

    @Test
    void columnsWidenAndNeverNarrow() throws Exception {
        List<Column> narrow = List.of(column("id", LogicalType.INT32), column("n", LogicalType.INT32),
                decimal("d", 10, 2), column("x", LogicalType.INT32));
        writer.write(upsert("widen", narrow, List.of("id"), 1, row(1, 5, new BigDecimal("12345678.90"), 7)));
        List<Column> wide = List.of(column("id", LogicalType.INT32), column("n", LogicalType.INT64),
                decimal("d", 12, 4), column("x", LogicalType.TEXT));
        writer.write(upsert("widen", wide, List.of("id"), 2, row(2, 5_000_000_000L, new BigDecimal("12345678.1234"), "seven")));
        writer.write(upsert("widen", narrow, List.of("id"), 3, row(3, 6, new BigDecimal("1.00"), 8)));

        assertThat(typeOf("widen", "n")).as("INTEGER widened to BIGINT").isEqualTo("bigint");
        assertThat(typeOf("widen", "d")).as("DECIMAL(10,2) and DECIMAL(12,4) need DECIMAL(12,4)").isEqualTo("decimal(12,4)");
        assertThat(typeOf("widen", "x")).as("INTEGER and VARCHAR need VARCHAR").isEqualTo("varchar");
        assertThat(query("SELECT id, n, d, x FROM widen ORDER BY id")).as("old values survive widening")
                .containsExactly(List.of(1, 5L, new BigDecimal("12345678.9000"), "7"),
                        List.of(2, 5_000_000_000L, new BigDecimal("12345678.1234"), "seven"),
                        List.of(3, 6L, new BigDecimal("1.0000"), "8"));
    }

    @Test
    void decimalNaNWidensTheColumnToVarcharAndKeepsExactText() throws Exception {
        List<Column> columns = List.of(column("id", LogicalType.INT32), decimal("d", 10, 2));
        writer.write(upsert("nan_dec", columns, List.of("id"), 1, row(1, new BigDecimal("1.50"))));
        writer.write(upsert("nan_dec", columns, List.of("id"), 2, row(2, "NaN"), row(3, "-Infinity")));

        assertThat(query("SELECT id, d FROM nan_dec ORDER BY id")).as("NaN/Infinity are written as text, not lost")
                .containsExactly(List.of(1, "1.50"), List.of(2, "NaN"), List.of(3, "-Infinity"));
    }

    @Test
    void everyLogicalTypeRoundTrips() throws Exception {
        List<Column> columns = List.of(column("id", LogicalType.INT32), column("b", LogicalType.BOOLEAN),
                column("i16", LogicalType.INT16), column("i64", LogicalType.INT64), column("f32", LogicalType.FLOAT32),
                column("f64", LogicalType.FLOAT64), decimal("dec", 38, 10), column("num", LogicalType.DECIMAL, "numeric"),
                column("t", LogicalType.TEXT), column("j", LogicalType.JSON, "jsonb"), column("arr", LogicalType.JSON, "integer[]"),
                column("bin", LogicalType.BYTES), column("d", LogicalType.DATE), column("tm", LogicalType.TIME),
                column("ttz", LogicalType.TIMETZ), column("ts", LogicalType.TIMESTAMP), column("tstz", LogicalType.TIMESTAMPTZ),
                column("iv", LogicalType.INTERVAL), column("u", LogicalType.UUID));
        UUID uuid = UUID.randomUUID();
        Object[] values = row(1, true, (short) -32768, Long.MIN_VALUE, Float.NaN, Double.NEGATIVE_INFINITY,
                new BigDecimal("1234567890123456789012345678.0123456789"), new BigDecimal("-0.000000000000000000000000000000000000000001"),
                "tab\there\nnew \\ back 'quote' ünïcødé 😀", "{\"a\": [1, 2]}", "[1,2,3]",
                new byte[] {0, 1, (byte) 0xff, '\t'}, LocalDate.of(1999, 12, 31), LocalTime.of(23, 59, 59, 999_999_000),
                OffsetTime.of(1, 2, 3, 0, ZoneOffset.ofHoursMinutes(-5, -30)), LocalDateTime.of(2024, 2, 29, 12, 0, 0, 123_456_000),
                OffsetDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.ofHours(3)), "1 year 2 mons -3 days +04:05:06.5", uuid);
        Object[] edges = row(2, false, (short) 1, 1L, Float.POSITIVE_INFINITY, Double.NaN, new BigDecimal("0E-10"), "NaN",
                "", "null", "[]", new byte[0], LocalDate.MAX, LocalTime.MIDNIGHT, OffsetTime.of(0, 0, 0, 0, ZoneOffset.UTC),
                LocalDateTime.MIN, OffsetDateTime.MAX, "00:00:00", uuid);
        Object[] nulls = new Object[columns.size()];
        nulls[0] = 3;
        writer.write(upsert("types", columns, List.of("id"), 1, values, edges, nulls));

        List<Object> read = single("SELECT b, i16, i64, f32, f64, dec, num, t, j::VARCHAR, arr, bin, d, tm, ttz, ts, tstz, "
                + "iv, u FROM types WHERE id = 1");
        assertThat(read.subList(0, 8)).as("scalars, exact decimals and text round-trip").containsExactly(true, (short) -32768,
                Long.MIN_VALUE, Float.NaN, Double.NEGATIVE_INFINITY, new BigDecimal("1234567890123456789012345678.0123456789"),
                "-0.000000000000000000000000000000000000000001", values[8]);
        assertThat(read.get(8)).as("jsonb stays JSON").isEqualTo("{\"a\": [1, 2]}");
        assertThat(read.get(9)).as("arrays are JSON array text").isEqualTo("[1,2,3]");
        assertThat(blob(read.get(10))).as("bytes including 0x00").containsExactly(0, 1, (byte) 0xff, '\t');
        assertThat(read.subList(11, 14)).as("date, time, timetz").containsExactly(values[12], values[13], values[14]);
        assertThat(read.get(14)).as("timestamp").isEqualTo(java.sql.Timestamp.valueOf((LocalDateTime) values[15]));
        assertThat(((OffsetDateTime) read.get(15)).toInstant()).as("timestamptz keeps the instant")
                .isEqualTo(((OffsetDateTime) values[16]).toInstant());
        assertThat(read.get(16)).as("interval in DuckDB's form").isEqualTo("1 year 2 months -3 days 04:05:06.5");
        assertThat(read.get(17)).as("uuid").isEqualTo(uuid);

        List<Object> edge = single("SELECT f32, f64, dec, num, t, j::VARCHAR, octet_length(bin), d::VARCHAR, ts::VARCHAR, "
                + "tstz::VARCHAR, iv FROM types WHERE id = 2");
        assertThat(edge).as("edge values: infinities, NaN, empty strings and bytes").containsExactly(
                Float.POSITIVE_INFINITY, Double.NaN, new BigDecimal("0E-10"), "NaN", "", "null", 0L,
                "infinity", "-infinity", "infinity", "00:00:00");
        assertThat(single("SELECT count(*) FROM types WHERE id = 3 AND b IS NULL AND dec IS NULL AND bin IS NULL "
                + "AND tstz IS NULL AND iv IS NULL AND u IS NULL AND j IS NULL")).as("nulls of every type").containsExactly(1L);
        assertThat(typeOf("types", "j")).as("jsonb maps to DuckDB JSON").isEqualTo("json");
        assertThat(typeOf("types", "num")).as("numeric without precision is exact text").isEqualTo("varchar");
    }

    private static byte[] blob(Object value) throws Exception {
        java.sql.Blob blob = (java.sql.Blob) value;
        return blob.getBytes(1, (int) blob.length());
    }

    @Test
    void severalWritersOfOneFileWriteConcurrently() throws Exception {
        Path file = dir.resolve("shared.duckdb");
        List<Column> columns = List.of(column("id", LogicalType.INT32), column("w", LogicalType.INT32));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (DuckDbWriter a = new DuckDbWriter(file); DuckDbWriter b = new DuckDbWriter(file)) {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int worker = w;
                DuckDbWriter target = w % 2 == 0 ? a : b;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        target.write(upsert(worker % 3 == 0 ? "shared_x" : "shared_y", columns, List.of("id"), i,
                                row(worker * 100 + i, worker)));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            assertThat(a.database()).as("both writers share one database instance").isSameAs(b.database());
            try (Connection c = a.database().duplicate(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM shared_x) + (SELECT count(*) FROM shared_y)")) {
                rs.next();
                assertThat(rs.getLong(1)).as("every row of every thread written").isEqualTo(80L);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void historicalLoadInsertsIntoTheTableItCreatedAndRemovesAReplayedPageAtItsEnd() throws Exception {
        writer.write(historical("dhist", ACCOUNTS, List.of("id"), 5, false, row(1, "ann", 10L), row(2, "bob", 20L)));
        // a page written twice (retried after its commit), then the rest of the load
        writer.write(historical("dhist", ACCOUNTS, List.of("id"), 5, false, row(2, "bob", 20L)));
        writer.write(historical("dhist", ACCOUNTS, List.of("id"), 6, false, row(2, "bob v2", 21L), row(3, "cid", 30L)));
        assertThat(single("SELECT count(*) FROM dhist")).as("pages inserted, not merged, while the load runs")
                .containsExactly(5L);
        assertThat(single("SELECT _pgingest_ingested_at = TIMESTAMPTZ '" + TestBatches.INGESTED_AT + "', _pgingest_position, "
                + "_pgingest_loaded_at > now() - INTERVAL 1 MINUTE FROM dhist WHERE id = 1"))
                .as("appended rows carry their metadata").containsExactly(true, 5L, true);

        writer.write(historical("dhist", ACCOUNTS, List.of("id"), 6, true));

        assertThat(query("SELECT id, name FROM dhist ORDER BY id"))
                .as("at the load's end one row per key, the newest position of a repeated key")
                .containsExactly(List.of(1, "ann"), List.of(2, "bob v2"), List.of(3, "cid"));
        writer.write(historical("dhist", ACCOUNTS, List.of("id"), 7, false, row(3, "cid v2", 31L)));
        assertThat(query("SELECT id, name FROM dhist ORDER BY id")).as("after its load the table's batches merge")
                .containsExactly(List.of(1, "ann"), List.of(2, "bob v2"), List.of(3, "cid v2"));
    }

    @Test
    void historicalLoadOfColumnsTheAppenderCannotWriteInsertsThroughTheStagingTable() throws Exception {
        List<Column> columns = List.of(column("id", LogicalType.INT32), column("iv", LogicalType.INTERVAL),
                column("j", LogicalType.JSON, "jsonb"));
        writer.write(historical("dhist5", columns, List.of("id"), 5, false, row(1, "1 day", "{\"a\": 1}")));
        writer.write(historical("dhist5", columns, List.of("id"), 5, false, row(1, "1 day", "{\"a\": 1}"), row(2, "02:00:00", "[]")));
        assertThat(single("SELECT count(*) FROM dhist5")).as("inserted, not merged").containsExactly(2L + 1L);

        writer.write(historical("dhist5", columns, List.of("id"), 6, true));

        assertThat(query("SELECT id, iv::VARCHAR, j::VARCHAR, _pgingest_position FROM dhist5 ORDER BY id"))
                .as("cast from the staging table; one row per key at the end")
                .containsExactly(List.of(1, "1 day", "{\"a\": 1}", 5L), List.of(2, "02:00:00", "[]", 5L));
    }

    @Test
    void loadResumedByAnotherWriterAfterACrashMergesItsReplayedPage() throws Exception {
        Path file = dir.resolve("resumed.duckdb");
        try (DuckDbWriter first = new DuckDbWriter(file)) {
            first.write(historical("res", ACCOUNTS, List.of("id"), 5, false, row(1, "ann", 10L), row(2, "bob", 20L)));
        }
        // the process died before it saved the page's cursor: the next one writes the page again
        try (DuckDbWriter second = new DuckDbWriter(file)) {
            second.write(historical("res", ACCOUNTS, List.of("id"), 5, false, row(1, "ann", 10L), row(2, "bob", 20L)));
            second.write(historical("res", ACCOUNTS, List.of("id"), 5, false, row(3, "cid", 30L)));
            try (Connection c = second.database().duplicate(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*), count(DISTINCT id) FROM res")) {
                rs.next();
                assertThat(List.of(rs.getLong(1), rs.getLong(2))).as("no key twice before the load's end")
                        .containsExactly(3L, 3L);
            }
        }
    }

    @Test
    void changeAfterAnUnfinishedLoadRemovesRepeatedKeysThenMerges() throws Exception {
        writer.write(historical("dhist2", ACCOUNTS, List.of("id"), 5, false, row(1, "ann", 10L), row(2, "bob", 20L)));
        writer.write(historical("dhist2", ACCOUNTS, List.of("id"), 5, false, row(2, "bob", 20L)));

        writer.write(upsert("dhist2", ACCOUNTS, List.of("id"), 8, row(1, "ann v2", 11L)));

        assertThat(query("SELECT id, name FROM dhist2 ORDER BY id")).as("one row per key once a change arrives")
                .containsExactly(List.of(1, "ann v2"), List.of(2, "bob"));
    }

    @Test
    void historicalBatchIntoAnExistingTableMerges() throws Exception {
        writer.write(upsert("dhist3", ACCOUNTS, List.of("id"), 1, row(1, "ann", 10L)));
        writer.write(historical("dhist3", ACCOUNTS, List.of("id"), 2, false, row(1, "ann v2", 11L), row(2, "bob", 20L)));

        assertThat(query("SELECT id, name FROM dhist3 ORDER BY id")).as("a reload of existing keys updates them")
                .containsExactly(List.of(1, "ann v2"), List.of(2, "bob"));
    }

    @Test
    void failedBatchOfALoadIsRetriedWithoutLosingTheLoadsState() throws Exception {
        writer.write(historical("dhist4", ACCOUNTS, List.of("id"), 5, false, row(1, "ann", 10L)));
        assertThatThrownBy(() -> writer.write(historical("dhist4", ACCOUNTS, List.of("id"), 5, false,
                row(2, "bob", "not a number"))))
                .as("a value of the wrong class fails the batch").isInstanceOf(Exception.class);
        writer.write(historical("dhist4", ACCOUNTS, List.of("id"), 5, false, row(2, "bob", 20L)));
        writer.write(historical("dhist4", ACCOUNTS, List.of("id"), 5, true));

        assertThat(query("SELECT id, name FROM dhist4 ORDER BY id")).as("the rolled back batch left nothing; the retry wrote it")
                .containsExactly(List.of(1, "ann"), List.of(2, "bob"));
    }

    @Test
    void tablesChangedThroughAnotherConnectionBetweenBatchesAreLookedUpAgain() throws Exception {
        List<Column> columns = List.of(column("id", LogicalType.INT32), column("name", LogicalType.TEXT));
        writer.write(upsert("elsewhere", columns, List.of("id"), 1, row(1, "ann")));
        writer.write(upsert("elsewhere", columns, List.of("id"), 2, row(2, "bob"))); // the writer now knows the table
        writer.write(TestBatches.append("elsewhere_log", columns, 1, row(1, "ann")));
        writer.write(TestBatches.append("elsewhere_log", columns, 2, row(2, "bob")));
        try (Connection c = writer.database().duplicate(); Statement s = c.createStatement()) {
            s.execute("ALTER TABLE elsewhere DROP COLUMN name");
            s.execute("DROP TABLE elsewhere_log");
            s.execute("DROP SEQUENCE \"elsewhere_log__pgingest_id_seq\"");
        }

        writer.write(upsert("elsewhere", columns, List.of("id"), 3, row(3, "cid")));
        writer.write(TestBatches.append("elsewhere_log", columns, 3, row(3, "cid")));

        assertThat(query("SELECT id, name FROM elsewhere ORDER BY id")).as("the dropped column was added again, the row written")
                .containsExactly(Arrays.asList(1, null), Arrays.asList(2, null), List.of(3, "cid"));
        assertThat(query("SELECT _pgingest_id, id, name FROM elsewhere_log")).as("the dropped table and its sequence were made again")
                .containsExactly(List.of(1L, 3, "cid"));
    }

    /**
     * The writers read the catalog's tables once; a table created through another connection afterwards is taken for
     * absent, its creation fails, and the batch is written again with the table looked up: merged into the existing
     * table by key, a historical batch too (which goes straight into a table its batch created).
     */
    @Test
    void aTableCreatedThroughAnotherConnectionAfterTheCatalogWasReadIsMergedInto() throws Exception {
        List<Column> columns = List.of(column("id", LogicalType.INT32), column("name", LogicalType.TEXT));
        writer.write(upsert("catalog_first", columns, List.of("id"), 1, row(1, "ann"))); // the catalog is read by now
        try (Connection c = writer.database().duplicate(); Statement s = c.createStatement()) {
            // as the writer would make it
            s.execute("CREATE TABLE made_elsewhere (id INTEGER, name VARCHAR, _pgingest_ingested_at TIMESTAMPTZ,"
                    + " _pgingest_loaded_at TIMESTAMPTZ, _pgingest_position BIGINT)");
            s.execute("INSERT INTO made_elsewhere (id, name, _pgingest_position) VALUES (1, 'old', 1), (7, 'kept', 1)");
        }

        writer.write(TestBatches.historical("made_elsewhere", columns, List.of("id"), 2, false, row(1, "bob")));

        assertThat(query("SELECT id, name FROM made_elsewhere ORDER BY id")).as("merged by key: one row per id")
                .containsExactly(List.of(1, "bob"), List.of(7, "kept"));
    }
}
