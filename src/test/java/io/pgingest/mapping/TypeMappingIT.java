package io.pgingest.mapping;

import io.pgingest.event.Column;
import io.pgingest.testsupport.TestDatabase;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TimeZone;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads a table with a column of every built-in type through selectExpression + reader. */
class TypeMappingIT {

    private static TestDatabase db;

    @BeforeAll
    static void createTable() {
        db = TestDatabase.create("types");
        db.execute(AllTypesTable.DDL.toArray(String[]::new));
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    /** text: pgjdbc's default protocol; binary: every type pgjdbc can receive in binary form is received so. */
    @ParameterizedTest(name = "{0} transfer")
    @ValueSource(strings = {"text", "binary"})
    void readsEveryBuiltInTypeAsItsCanonicalValue(String transfer) throws SQLException {
        try (Connection c = connect(transfer, true)) {
            assertRow(read(c, 1), AllTypesTable.typicalRow());
        }
    }

    @ParameterizedTest(name = "{0} transfer")
    @ValueSource(strings = {"text", "binary"})
    void readsEdgeValuesExactly(String transfer) throws SQLException {
        try (Connection c = connect(transfer, true)) {
            assertRow(read(c, 3), AllTypesTable.edgeRow());
        }
    }

    @Test
    void nullStaysNullInEveryColumn() throws SQLException {
        try (Connection c = connect("text", true)) {
            Map<String, Object> row = read(c, 2);
            SoftAssertions soft = new SoftAssertions();
            row.forEach((name, value) -> {
                if (!name.equals("id")) {
                    soft.assertThat(value).as("NULL in %s", name).isNull();
                }
            });
            soft.assertAll();
        }
    }

    @Test
    void theTableHasAColumnOfEveryBuiltInTypeAndEachIsKnown() throws SQLException {
        try (Connection c = connect("text", true); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT format_type(oid, NULL) FROM pg_type"
                     + " WHERE typnamespace = 'pg_catalog'::regnamespace AND typtype IN ('b', 'r', 'm')"
                     + " AND typisdefined AND (typcategory <> 'A' OR typname NOT LIKE '\\_%')")) {
            Set<String> builtIns = new HashSet<>();
            while (rs.next()) {
                builtIns.add(rs.getString(1));
            }
            Set<String> covered = columns(c).stream().map(col -> baseName(col.sourceType()))
                    .collect(Collectors.toSet());
            assertThat(builtIns).as("PostgreSQL has its ~80 built-in types").hasSizeGreaterThan(75);
            assertThat(covered).as("the all-types table has a column of every built-in type").containsAll(builtIns);
            assertThat(builtIns).as("every built-in type has a decided mapping (a new server type fails here)")
                    .allMatch(TypeMapping::isBuiltIn);
        }
    }

    /** A DST gap value of a timestamp without time zone must not move, whatever the JVM and session zones. */
    @ParameterizedTest(name = "JVM time zone {0}")
    @ValueSource(strings = {"Europe/Berlin", "America/Sao_Paulo", "Asia/Kathmandu"})
    void readingDependsNeitherOnTheJvmZoneNorOnSessionStyles(String zone) throws SQLException {
        TimeZone before = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone(zone));
        try (Connection c = connect("text", false); Statement s = c.createStatement()) {
            s.execute("SET IntervalStyle TO 'sql_standard'");
            s.execute("SET DateStyle TO 'ISO, DMY'");
            s.execute("SET TimeZone TO 'America/St_Johns'");
            s.execute("INSERT INTO dst VALUES (1, '2024-03-31 02:30:00', '2018-11-04 00:30:00',"
                    + " '2024-03-31 02:30:00+00', '2024-03-31', '1 year -2 days 03:00:00.25')"
                    + " ON CONFLICT DO NOTHING");
            assertRow(read(c, "dst", 1), Map.of(
                    "id", 1,
                    "berlin_gap", LocalDateTime.of(2024, 3, 31, 2, 30),
                    "sao_paulo_gap", LocalDateTime.of(2018, 11, 4, 0, 30),
                    "instant", OffsetDateTime.of(2024, 3, 31, 2, 30, 0, 0, ZoneOffset.UTC),
                    "day", LocalDate.of(2024, 3, 31),
                    "duration", "1 year -2 days +03:00:00.25"));
            assertRow(read(c, 1), AllTypesTable.sessionIndependentSubset(AllTypesTable.typicalRow()));
        } finally {
            TimeZone.setDefault(before);
        }
    }

    @Test
    void intervalsReadAsThePostgresStyleTextWhateverTheSessionIntervalStyle() throws SQLException {
        try (Connection c = connect("text", false); Statement s = c.createStatement()) {
            s.execute("SET IntervalStyle TO 'postgres'");
            Map<Integer, String> serverText = new LinkedHashMap<>();
            try (ResultSet rs = s.executeQuery("SELECT id, i::text FROM intervals ORDER BY id")) {
                while (rs.next()) {
                    serverText.put(rs.getInt(1), rs.getString(2));
                }
            }
            for (String style : List.of("iso_8601", "sql_standard", "postgres_verbose")) {
                s.execute("SET IntervalStyle TO '" + style + "'");
                for (Map.Entry<Integer, String> e : serverText.entrySet()) {
                    assertThat(read(c, "intervals", e.getKey()).get("i"))
                            .as("interval %d read under IntervalStyle %s", e.getKey(), style)
                            .isEqualTo(e.getValue());
                }
            }
        }
    }

    /** Catalog-only types (no input function) are read as their text output from the catalogs that hold them. */
    @Test
    void catalogOnlyTypesAreReadAsText() throws SQLException {
        try (Connection c = connect("text", true)) {
            Map<String, Object> row = read(c, "catalog_values", null);
            SoftAssertions soft = new SoftAssertions();
            row.forEach((name, value) -> soft.assertThat(value).as(name).isInstanceOf(String.class));
            soft.assertThat((String) row.get("node_tree")).as("a rewrite rule's tree").startsWith("({QUERY");
            soft.assertThat((String) row.get("ndistinct")).as("ndistinct statistics").startsWith("{\"");
            soft.assertAll();
        }
    }

    /**
     * Pages read with {@code COPY ... (FORMAT binary)} (table sources, see BinaryReaders) must give exactly the values
     * the result set gives, for every column of a type with a binary reader; the others are read through the result set.
     */
    @ParameterizedTest(name = "row {0}")
    @ValueSource(ints = {1, 2, 3})
    void theBinaryReadersGiveTheResultSetsValues(int id) throws Exception {
        try (Connection c = connect("text", true)) {
            Map<String, Object> viaResultSet = read(c, id);
            Map<String, Object> viaCopy = readBinary(c, "all_types", id);
            assertThat(viaResultSet.keySet()).as("columns without a binary reader")
                    .filteredOn(name -> !viaCopy.containsKey(name))
                    .isEmpty();
            SoftAssertions soft = new SoftAssertions();
            viaCopy.forEach((name, value) -> soft.assertThat(value).as("column %s", name).isEqualTo(viaResultSet.get(name)));
            soft.assertAll();
        }
    }

    @Test
    void theBinaryReaderOfIntervalsGivesTheResultSetsText() throws Exception {
        try (Connection c = connect("text", true)) {
            for (int id = 1; id <= 15; id++) {
                assertThat(readBinary(c, "intervals", id)).as("interval %d", id).isEqualTo(read(c, "intervals", id));
            }
        }
    }

    @Test
    void theBinaryReaderOfTimesWithTimeZoneGivesTheResultSetsValues() throws Exception {
        try (Connection c = connect("text", true)) {
            for (int id = 1; id <= 8; id++) {
                Map<String, Object> viaCopy = readBinary(c, "timetzs", id);
                assertThat(viaCopy).as("timetz %d", id).isEqualTo(read(c, "timetzs", id));
                assertThat(viaCopy.get("t")).as("timetz %d", id).isNotNull();
            }
            assertThat(read(c, "timetzs", 5).get("t")).as("24:00:00-03: the day's last instant, offset kept")
                    .isEqualTo(OffsetTime.of(LocalTime.MAX, ZoneOffset.ofHours(-3)));
        }
    }

    /** Reads one row as a table source reading a page with COPY does: the columns that have a binary reader. */
    private static Map<String, Object> readBinary(Connection c, String table, int id) throws Exception {
        List<Column> columns = columns(c, table).stream().map(TypeMapping::resolve)
                .filter(col -> BinaryReaders.of(List.of(col)) != null).toList();
        BinaryReaders.Readers readers = BinaryReaders.of(columns);
        String sql = "COPY (SELECT " + columns.stream().map(TypeMapping::selectExpression).collect(Collectors.joining(", "))
                + ", id::text FROM " + table + " WHERE id = " + id + ") TO STDOUT (FORMAT binary)";
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        c.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyOut(sql, out);
        byte[] bytes = out.toByteArray();
        io.pgingest.event.CopyRows rows = io.pgingest.event.CopyRows.parse(bytes, bytes.length, readers.readers(),
                readers.binaryTypes(), 1);
        assertThat(rows).as("row %d of %s", id, table).hasSize(1);
        assertThat(rows.extraTexts(0)).as("the extra field").containsExactly(String.valueOf(id));
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < columns.size(); i++) {
            row.put(columns.get(i).name(), rows.get(0)[i]);
        }
        return row;
    }

    private static void assertRow(Map<String, Object> actual, Map<String, Object> expected) {
        SoftAssertions soft = new SoftAssertions();
        expected.forEach((name, value) -> soft.assertThat(actual.get(name))
                .as("column %s", name).isEqualTo(value));
        soft.assertAll();
    }

    private static Connection connect(String transfer, boolean sessionSettings) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", TestDatabase.USER);
        p.setProperty("password", TestDatabase.PASSWORD);
        if (transfer.equals("binary")) {
            p.setProperty("prepareThreshold", "-1");
        }
        p.setProperty("binaryTransferDisable", TypeMapping.BINARY_TRANSFER_DISABLE); // as SourceConnections does
        Connection c = DriverManager.getConnection(db.url(), p);
        if (sessionSettings) {
            try (Statement s = c.createStatement()) {
                for (String sql : TypeMapping.SESSION_SETTINGS) {
                    s.execute(sql);
                }
            }
        }
        return c;
    }

    private static Map<String, Object> read(Connection c, int id) throws SQLException {
        return read(c, "all_types", id);
    }

    /** Reads one row the way a table source does: resolve, selectExpression, reader. */
    static Map<String, Object> read(Connection c, String table, Integer id) throws SQLException {
        List<Column> columns = columns(c, table).stream().map(TypeMapping::resolve).toList();
        List<TypeMapping.ValueReader> readers = columns.stream().map(TypeMapping::reader).toList();
        String sql = "SELECT " + columns.stream().map(TypeMapping::selectExpression).collect(Collectors.joining(", "))
                + " FROM " + table + (id == null ? "" : " WHERE id = ?");
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (id != null) {
                ps.setInt(1, id);
            }
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("row %s of %s exists", id, table).isTrue();
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 0; i < columns.size(); i++) {
                    row.put(columns.get(i).name(), readers.get(i).read(rs, i + 1));
                }
                return row;
            }
        }
    }

    private static List<Column> columns(Connection c) throws SQLException {
        return columns(c, "all_types");
    }

    /** The columns with domains resolved to their base type, as the catalog package will describe them. */
    private static List<Column> columns(Connection c, String table) throws SQLException {
        String sql = "SELECT a.attname, CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod)"
                + " ELSE format_type(a.atttypid, a.atttypmod) END, NOT a.attnotnull"
                + " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                + " WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                List<Column> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new Column(rs.getString(1), rs.getString(2), null, -1, -1, rs.getBoolean(3)));
                }
                return out;
            }
        }
    }

    private static String baseName(String formatType) {
        return formatType.replaceAll("\\(\\d+(,\\d+)?\\)", "");
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    static UUID uuid(String s) {
        return UUID.fromString(s);
    }

    static OffsetTime timetz(String s) {
        return OffsetTime.parse(s);
    }

    static BigDecimal dec(String s) {
        return new BigDecimal(s);
    }

    static LocalTime time(String s) {
        return LocalTime.parse(s);
    }
}
