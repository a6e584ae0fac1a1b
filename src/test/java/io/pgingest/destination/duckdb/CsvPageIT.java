package io.pgingest.destination.duckdb;

import static io.pgingest.destination.TestBatches.column;
import static io.pgingest.destination.TestBatches.decimal;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgingest.destination.TestBatches;
import io.pgingest.event.Column;
import io.pgingest.event.CopyRows;
import io.pgingest.event.LoadKind;
import io.pgingest.event.LogicalType;
import io.pgingest.event.RowBatch;
import io.pgingest.event.SourceTable;
import io.pgingest.event.WriteMode;
import io.pgingest.mapping.BinaryReaders;
import io.pgingest.mapping.TypeMapping;
import io.pgingest.testsupport.ResultRows;
import io.pgingest.testsupport.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pages still in binary COPY form go into DuckDB as CSV files DuckDB reads natively ({@link CsvPage}). Every value must
 * arrive exactly as through the appender: each test writes the same page twice, once as it is (the CSV path) and once
 * decoded first (the appender), and compares the two tables in DuckDB, both ways, with their column types.
 */
class CsvPageIT {

    @TempDir
    static Path dir;
    static TestDatabase source;
    static DuckDbWriter writer;

    static final List<Column> COLUMNS = List.of(
            column("id", LogicalType.INT32, "integer"),
            column("i2", LogicalType.INT16, "smallint"),
            column("i8", LogicalType.INT64, "bigint"),
            column("flag", LogicalType.BOOLEAN, "boolean"),
            column("f4", LogicalType.FLOAT32, "real"),
            column("f8", LogicalType.FLOAT64, "double precision"),
            decimal("amount", 12, 4),
            decimal("price", 10, 2),
            column("loose", LogicalType.DECIMAL, "numeric"),
            column("label", LogicalType.TEXT, "text"),
            column("code", LogicalType.TEXT, "character(5)"),
            column("doc", LogicalType.JSON, "json"),
            column("docb", LogicalType.JSON, "jsonb"),
            column("ref", LogicalType.UUID, "uuid"),
            column("day", LogicalType.DATE, "date"),
            column("at", LogicalType.TIMESTAMP, "timestamp without time zone"),
            column("attz", LogicalType.TIMESTAMPTZ, "timestamp with time zone"),
            column("raw", LogicalType.BYTES, "bytea"),
            column("tm", LogicalType.TIME, "time without time zone"),
            column("span", LogicalType.INTERVAL, "interval"));

    @BeforeAll
    static void setUp() throws Exception {
        source = TestDatabase.create("csv_page");
        source.execute("CREATE TABLE vals (id integer PRIMARY KEY, i2 smallint, i8 bigint, flag boolean, f4 real,"
                + " f8 double precision, amount numeric(12,4), price numeric(10,2), loose numeric, label text, code character(5), doc json,"
                + " docb jsonb, ref uuid, day date, at timestamp, attz timestamptz, raw bytea, tm time, span interval)",
                "INSERT INTO vals VALUES"
                        + " (1, -32768, -9223372036854775808, true, 'NaN', 'Infinity', -12345678.1234, 'NaN', 'NaN', '', '',"
                        + "  '{\"a\": [1, 2.50]}', '{\"b\": \"x\\\"y\", \"a\": 1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',"
                        + "  'infinity', 'infinity', '-infinity'),"
                        + " (2, 32767, 9223372036854775807, false, '-Infinity', '-0', 0.0001, 1.5, 'Infinity', 'say \"hi\", then go',"
                        + "  'ab', 'null', '[]', '00000000-0000-0000-0000-000000000000', '-infinity', '-infinity', 'infinity'),"
                        + " (3, 0, 0, NULL, 1.17549435e-38, 4.9e-324, 0, NULL, '-Infinity', E'two\\nlines\\r\\nand CR', 'abcde',"
                        + "  '\"text\"', '\"s\"', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '0001-01-01', '0001-01-01 00:00:00',"
                        + "  '0001-01-01 00:00:00+00'),"
                        + " (4, NULL, NULL, NULL, 3.4028235e38, 1.7976931348623157e308, 99999999.9999, -0.01, -0.000000000000000000001,"
                        + "  'naïve café ☕ 𝄞 日本', NULL, NULL, NULL, NULL, '9999-12-31', '9999-12-31 23:59:59.999999',"
                        + "  '9999-12-31 23:59:59.999999+00'),"
                        + " (5, 7, 8, true, 0.1, 0.1, -0.5, 0, 123456789012345678901234567890.123456789012345678901234567890,"
                        + "  ',', ',', '{}', '{}', NULL, '2024-02-29', '2024-02-29 12:34:56.000001', '2024-02-29 23:00:00-05'),"
                        + " (6, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
                        + " (7, 1, 1, false, 1e-45, 2.2250738585072014e-308, 1, 2, 100000000, '\"', '\"', '1', '1.5e3', NULL,"
                        + "  '1970-01-01', '1969-12-31 23:59:59.999999', '1970-01-01 00:00:00.5+00')",
                "UPDATE vals SET raw = CASE id WHEN 1 THEN '\\x00ff5c222c0a0d78415a'::bytea WHEN 2 THEN ''::bytea"
                        + " WHEN 3 THEN convert_to('naïve \"a,b\"', 'UTF8') WHEN 4 THEN decode(repeat('00ff', 5000), 'hex') END,"
                        + " tm = CASE id WHEN 1 THEN '24:00:00' WHEN 2 THEN '00:00:00' WHEN 3 THEN '23:59:59.999999'"
                        + " WHEN 4 THEN '12:34:56.789' WHEN 5 THEN '00:00:00.000001' END::time,"
                        + " span = CASE id WHEN 1 THEN '1 year 2 mons -3 days 04:05:06.5' WHEN 2 THEN '-00:00:00.000001'"
                        + " WHEN 3 THEN '0' WHEN 4 THEN '178000000 years' WHEN 5 THEN '-1 day +01:00' END::interval",
                "INSERT INTO vals (id, loose, label) SELECT g, (g * 1.001)::numeric, repeat('x', g % 50) || g"
                        + " FROM generate_series(100, 5099) g");
        writer = new DuckDbWriter(dir.resolve("csv.duckdb"));
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (writer != null) {
            writer.close();
        }
        if (source != null) {
            source.close();
        }
    }

    @Test
    void aHistoricalLoadIntoANewTableReadsItsCsvPageAsTheAppenderWritesIt() throws Exception {
        CopyRows asIs = page("SELECT * FROM vals ORDER BY id");
        writer.write(batch("direct_csv", asIs, WriteMode.UPSERT, LoadKind.HISTORICAL, 1, true));
        assertThat(asIs.isDecoded()).as("written from its CSV file, never decoded").isFalse();
        CopyRows decoded = page("SELECT * FROM vals ORDER BY id");
        decoded.decode();
        writer.write(batch("direct_app", decoded, WriteMode.UPSERT, LoadKind.HISTORICAL, 1, true));
        assertSame("direct_csv", "direct_app", 5007);
    }

    @Test
    void stagedMergesAndAppendsReadTheirCsvPagesAsTheAppenderWritesThem() throws Exception {
        for (String suffix : List.of("csv", "app")) {
            CopyRows first = page("SELECT * FROM vals WHERE id < 100 ORDER BY id");
            CopyRows merged = page("SELECT * FROM vals ORDER BY id DESC");
            CopyRows appended = page("SELECT * FROM vals ORDER BY id");
            if (suffix.equals("app")) {
                Stream.of(first, merged, appended).forEach(CopyRows::decode);
            }
            writer.write(batch("merge_" + suffix, first, WriteMode.UPSERT, LoadKind.HISTORICAL, 1, true));
            writer.write(batch("merge_" + suffix, merged, WriteMode.UPSERT, LoadKind.INCREMENTAL, 2, false));
            writer.write(batch("append_" + suffix, appended, WriteMode.APPEND, LoadKind.HISTORICAL, 1, true));
            if (suffix.equals("csv")) {
                assertThat(List.of(first, merged, appended)).as("none decoded").noneMatch(CopyRows::isDecoded);
            }
        }
        assertSame("merge_csv", "merge_app", 5007);
        assertSame("append_csv", "append_app", 5007);
        assertThat(query("SELECT count(*) FILTER (WHERE _pgingest_position = 2) FROM merge_csv"))
                .as("the merge replaced every row of the first batch").containsExactly(List.of(5007L));
    }

    @Test
    void aPageWithAValueWithoutExactCsvTextIsAppendedInstead() throws Exception {
        List<Path> before = pageFiles();
        CopyRows rows = page("SELECT * FROM vals WHERE id = 3 UNION ALL SELECT 8, i2, i8, flag, f4, f8, amount, price, loose, label,"
                + " code, doc, docb, ref, '0044-03-15 BC'::date, '0044-03-15 12:00 BC'::timestamp, attz, raw, tm, span FROM vals WHERE id = 3");
        writer.write(batch("bc_dates", rows, WriteMode.UPSERT, LoadKind.HISTORICAL, 1, true));
        assertThat(rows.isDecoded()).as("decoded for the appender: a BC date has no CSV text here").isTrue();
        assertThat(query("SELECT id, \"day\"::varchar, \"at\"::varchar FROM bc_dates ORDER BY id")).containsExactly(
                List.of(3, "0001-01-01", "0001-01-01 00:00:00"), List.of(8, "0044-03-15 (BC)", "0044-03-15 (BC) 12:00:00"));
        assertThat(CsvPage.write(rows, CsvPage.kinds(COLUMNS, rows.binaryTypes(), stagingTypes()), scales(), false,
                writer.database().pageDirectory()))
                .as("no CSV page for it").isNull();
        assertThat(pageFiles()).as("no page file left behind").isEqualTo(before);
    }

    private static List<Path> pageFiles() throws Exception {
        Path directory = writer.database().pageDirectory();
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.sorted().toList();
        }
    }

    /** Page files a killed process left beside its DuckDB file are removed when the file is opened again, and at its close. */
    @Test
    void pageFilesLeftBehindAreRemovedAtTheOpenAndTheClose() throws Exception {
        Path file = dir.resolve("left/behind.duckdb");
        Path pages = dir.resolve("left/behind.duckdb" + DuckDbDatabase.PAGE_DIRECTORY_SUFFIX);
        Files.createDirectories(pages);
        Files.writeString(pages.resolve("page-123.csv"), "1,2\n");
        DuckDbWriter other = new DuckDbWriter(file);
        try {
            assertThat(pages).as("removed at the open").doesNotExist();
            CopyRows rows = page("SELECT * FROM vals WHERE id < 100 ORDER BY id");
            other.write(batch("left_behind", rows, WriteMode.UPSERT, LoadKind.HISTORICAL, 1, true));
            assertThat(rows.isDecoded()).as("written from its CSV file").isFalse();
            assertThat(pages).as("created for the page, which is gone again").isEmptyDirectory();
        } finally {
            other.close();
        }
        assertThat(pages).as("removed at the close").doesNotExist();
    }

    @Test
    void textThatIsNotUtf8HasNoCsvPage() throws Exception {
        CopyRows rows = page("SELECT * FROM vals WHERE id = 4");
        byte[] bytes = rows.bytes();
        int at = indexOf(bytes, "naïve".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        bytes[at + 3] = (byte) 0xFF; // the ï's first byte: no longer UTF-8
        assertThat(CsvPage.write(rows, CsvPage.kinds(COLUMNS, rows.binaryTypes(), stagingTypes()), scales(), false,
                writer.database().pageDirectory()))
                .isNull();
    }

    /** A row whose only field is NULL would be an empty line, which a CSV reader may skip: staged rows are numbered. */
    @Test
    void aRowOfOneNullFieldIsNeverAnEmptyLine() throws Exception {
        source.execute("CREATE TABLE one_col (v text)", "INSERT INTO one_col VALUES (NULL), ('a'), ('')");
        List<Column> one = List.of(column("v", LogicalType.TEXT, "text"));
        BinaryReaders.Readers readers = BinaryReaders.of(one);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Connection c = source.connect()) {
            c.unwrap(org.postgresql.PGConnection.class).getCopyAPI()
                    .copyOut("COPY (SELECT v FROM one_col) TO STDOUT (FORMAT binary)", out);
        }
        byte[] bytes = out.toByteArray();
        CopyRows rows = CopyRows.parse(bytes, bytes.length, readers.readers(), readers.binaryTypes(), 0);
        CsvPage.Kind[] kinds = CsvPage.kinds(one, rows.binaryTypes(), new String[] {"VARCHAR"});
        Path pages = dir.resolve("one-col-pages");
        assertThat(CsvPage.write(rows, kinds, new int[] {-1}, false, pages)).as("not numbered: no CSV page").isNull();
        CsvPage.File numbered = CsvPage.write(rows, kinds, new int[] {-1}, true, pages);
        assertThat(Files.readAllLines(numbered.path())).containsExactly("0,", "1,\"a\"", "2,\"\"");
        Files.delete(numbered.path());

        writer.write(new RowBatch("p1", new SourceTable("src", "public", "one_col"), "one_col", one, List.of(), rows,
                LoadKind.HISTORICAL, WriteMode.APPEND, 1, TestBatches.INGESTED_AT, Map.of(), true));
        assertThat(rows.isDecoded()).isFalse();
        assertThat(query("SELECT v FROM one_col ORDER BY _pgingest_id")).containsExactly(
                java.util.Arrays.asList((Object) null), List.of("a"), List.of(""));
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        outer:
        for (int i = 0; i <= bytes.length - part.length; i++) {
            for (int k = 0; k < part.length; k++) {
                if (bytes[i + k] != part[k]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    private static String[] stagingTypes() {
        return COLUMNS.stream().map(c -> DuckDbTypes.stagingType(c.type(), DuckDbTypes.ddlType(c))).toArray(String[]::new);
    }

    private static int[] scales() {
        return COLUMNS.stream().mapToInt(c -> c.type() == LogicalType.DECIMAL && c.precision() > 0 ? c.scale() : -1).toArray();
    }

    /** Both tables hold the same rows of the source's columns, and their columns have the same types. */
    private static void assertSame(String csv, String appender, long rows) throws Exception {
        String columns = COLUMNS.stream().map(c -> "\"" + c.name() + "\"").collect(Collectors.joining(", "));
        assertThat(query("SELECT count(*) FROM " + csv)).containsExactly(List.of(rows));
        assertThat(query("SELECT " + columns + " FROM " + csv + " EXCEPT ALL SELECT " + columns + " FROM " + appender))
                .as("rows of %s not in %s", csv, appender).isEmpty();
        assertThat(query("SELECT " + columns + " FROM " + appender + " EXCEPT ALL SELECT " + columns + " FROM " + csv))
                .as("rows of %s not in %s", appender, csv).isEmpty();
        assertThat(query("SELECT count(*) FROM " + csv + " c JOIN " + appender + " a ON c.id = a.id WHERE"
                + " c.f4::varchar IS NOT DISTINCT FROM a.f4::varchar AND c.f8::varchar IS NOT DISTINCT FROM a.f8::varchar"
                + " AND c.docb::varchar IS NOT DISTINCT FROM a.docb::varchar"))
                .as("floats (NaN, -0), and json text, alike").containsExactly(List.of(rows));
        assertThat(query("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = '" + csv + "' ORDER BY column_index"))
                .isEqualTo(query("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = '" + appender
                        + "' ORDER BY column_index"));
    }

    /** The rows of {@code select} as a table source reads a page: each column through its select expression. */
    private static CopyRows page(String select) throws Exception {
        BinaryReaders.Readers readers = BinaryReaders.of(COLUMNS);
        String expressions = COLUMNS.stream().map(TypeMapping::selectExpression).collect(Collectors.joining(", "));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Connection c = source.connect()) {
            c.createStatement().execute("SET TimeZone TO 'UTC'");
            c.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyOut("COPY (SELECT " + expressions + " FROM ("
                    + select + ") AS page) TO STDOUT (FORMAT binary)", out);
        }
        byte[] bytes = out.toByteArray();
        return CopyRows.parse(bytes, bytes.length, readers.readers(), readers.binaryTypes(), 0);
    }

    private static RowBatch batch(String target, CopyRows rows, WriteMode mode, LoadKind kind, long position, boolean end) {
        return new RowBatch("p1", new SourceTable("src", "public", "vals"), target, COLUMNS,
                mode == WriteMode.UPSERT ? List.of("id") : List.of(), rows, kind, mode, position, TestBatches.INGESTED_AT,
                Map.of(), end);
    }

    private static List<List<Object>> query(String sql) throws Exception {
        try (Connection c = writer.database().duplicate(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return ResultRows.of(rs);
        }
    }
}
