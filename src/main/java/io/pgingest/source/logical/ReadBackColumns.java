package io.pgingest.source.logical;

import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
import io.pgingest.event.LogicalType;
import io.pgingest.event.Metadata;
import io.pgingest.event.RowBatch;
import io.pgingest.event.SourceTable;
import io.pgingest.event.WriteMode;
import io.pgingest.mapping.TypeMapping;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.BatchSink;
import io.pgingest.source.SourceConnections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Columns whose streamed values are missing or not exact, read back from the source after each batch:
 * <ul>
 * <li>stored generated columns, which PostgreSQL (before 18) does not send to logical replication: a streamed insert
 * would leave them NULL in the destination and an update would leave them stale;</li>
 * <li>time with time zone (Debezium 3.4 moves it to UTC before any converter sees it: the offset is lost);</li>
 * <li>arrays whose elements {@code array_to_json} writes from their type's definition, which the streamed text does
 * not tell (composite types and domains, types with a cast to json such as hstore), and domains over array types:
 * {@link SourceTextConverter} writes their elements as strings.</li>
 * </ul>
 * After a batch's changes are written, these columns of the rows it wrote (not deleted) are read from the source by key
 * (with a table source's readers) and written as an upsert of the key and those columns at the batch's position
 * (writers update only the columns a batch holds), before the batch is acknowledged. The source's current values are
 * read, so a row changed again meanwhile gets its newer value, which the later change's batch reads again: once the
 * stream caught up, every row holds the source's value. Rows deleted meanwhile are not found and left to their delete.
 * A table without key cannot be read back. Its stored generated columns are computed on the source instead, before
 * the batch is written ({@link #computeForKeylessTables}): the column's generation expression over the streamed row's values
 * (which it alone depends on, being immutable), for expressions whose columns have types whose values go back to the
 * server exactly as text (the others stay NULL); and the one-dimensional arrays above, from their streamed elements'
 * text. Timetz and arrays of more dimensions keep their streamed form (docs/type-mapping.md, "Streamed values").
 * Tables without such columns cost a map lookup per batch;
 * which tables have them is asked when streaming starts, and for a table added or described again on its first batch.
 * Not thread-safe.
 */
final class ReadBackColumns implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReadBackColumns.class);

    /** The columns read back of the tables whose OIDs are the parameter (see the class comment). */
    private static final String COLUMNS = "SELECT a.attrelid::int8, a.attname FROM pg_attribute a"
            + " JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'"
            + " WHERE a.attrelid::int8 = ANY(?) AND a.attnum > 0 AND NOT a.attisdropped AND (a.attgenerated = 's'"
            + "   OR (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END) = 'timetz'::regtype"
            + "   OR (e.oid >= 16384 AND (e.typtype IN ('c', 'd') OR EXISTS (SELECT 1 FROM pg_cast k"
            + "     WHERE k.castsource = e.oid AND k.casttarget = 'json'::regtype)))"
            + "   OR (t.typtype = 'd' AND EXISTS (SELECT 1 FROM pg_type b WHERE b.oid = t.typbasetype AND b.typcategory = 'A')))"
            + " ORDER BY a.attrelid, a.attnum";

    /**
     * The stored generated columns of a table (OID parameter): name, generation expression, and the names of the columns
     * it reads (from the dependencies PostgreSQL records for it).
     */
    private static final String GENERATED = "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid), ARRAY(SELECT r.attname"
            + "   FROM pg_depend p JOIN pg_attribute r ON r.attrelid = p.refobjid AND r.attnum = p.refobjsubid"
            + "   WHERE p.classid = 'pg_attrdef'::regclass AND p.objid = d.oid AND p.refobjid = d.adrelid"
            + "   AND p.refobjsubid > 0 AND p.refobjsubid <> d.adnum ORDER BY r.attnum)" // (it depends on its own column too)
            + " FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            + " WHERE a.attrelid = ?::oid AND a.attgenerated = 's' AND NOT a.attisdropped ORDER BY a.attnum";

    /** Types whose streamed values the server takes back as text exactly (see {@link #asText}). */
    private static final Set<LogicalType> EXACT_AS_TEXT = java.util.EnumSet.of(LogicalType.BOOLEAN, LogicalType.INT16,
            LogicalType.INT32, LogicalType.INT64, LogicalType.FLOAT32, LogicalType.FLOAT64, LogicalType.DECIMAL,
            LogicalType.TEXT, LogicalType.JSON, LogicalType.BYTES, LogicalType.DATE, LogicalType.TIME,
            LogicalType.TIMESTAMP, LogicalType.TIMESTAMPTZ, LogicalType.INTERVAL, LogicalType.UUID);

    /**
     * How the columns of a table without key are computed (see {@link #computeForKeylessTables}): per column its expression
     * over the inputs, and whether the streamed value stays where the expression gives NULL; per input the type its text
     * is cast to.
     */
    private record Generated(List<Column> columns, List<String> expressions, List<Boolean> keepStreamed,
                             List<Column> inputs, List<String> inputTypes) {
        static final Generated NONE = new Generated(List.of(), List.of(), List.of(), List.of(), List.of());
    }

    /** Per table version without key: its generated columns computed, or {@link Generated#NONE}. */
    private final Map<LogicalTable, Generated> generated = new IdentityHashMap<>();

    /** Keys per statement: {@code (k1, k2) IN ((?, ?), ...)}. */
    private static final int KEYS_PER_QUERY = 1_000;

    private final PipelineSettings settings;
    /** The columns read back, per table version (a table described again is asked again); empty for none. */
    private final Map<LogicalTable, List<String>> byTable = new IdentityHashMap<>();
    private Connection connection;

    ReadBackColumns(PipelineSettings settings) {
        this.settings = settings;
    }

    /** Reads back and writes the columns of the rows {@code written} holds, for the tables that have any. */
    void refresh(List<RowBatch> written, Map<String, LogicalTable> tables, BatchSink sink, long position) throws Exception {
        Map<LogicalTable, List<RowBatch>> perTable = new LinkedHashMap<>();
        for (RowBatch b : written) {
            LogicalTable table = tables.get(b.source().display());
            if (table != null && b.writeMode() == WriteMode.UPSERT && !b.rows().isEmpty()) {
                perTable.computeIfAbsent(table, t -> new ArrayList<>()).add(b);
            }
        }
        if (perTable.isEmpty()) {
            return;
        }
        try {
            List<LogicalTable> unknown = perTable.keySet().stream().filter(t -> !byTable.containsKey(t)).toList();
            if (!unknown.isEmpty()) {
                know(connection(), unknown);
            }
            for (Map.Entry<LogicalTable, List<RowBatch>> e : perTable.entrySet()) {
                List<String> columns = byTable.get(e.getKey());
                if (!columns.isEmpty()) {
                    readBack(e.getKey(), columns, liveKeys(e.getValue(), e.getKey().keys()), sink, position);
                }
            }
        } catch (SQLException e) {
            close(); // a retry connects again
            throw e;
        }
    }

    /**
     * The batches with the stored generated columns and the arrays of tables without key computed (see the class
     * comment); the others as they are. Rows whose inputs hold an unchanged TOASTed value (not sent) keep their values
     * as streamed.
     */
    List<RowBatch> computeForKeylessTables(List<RowBatch> batches, Map<String, LogicalTable> tables) throws SQLException {
        List<RowBatch> out = null;
        try {
            for (int i = 0; i < batches.size(); i++) {
                RowBatch b = batches.get(i);
                LogicalTable table = tables.get(b.source().display());
                if (table == null || !table.keys().isEmpty() || b.rows().isEmpty() || b.writeMode() == WriteMode.TRUNCATE) {
                    continue;
                }
                Generated g = generated.get(table);
                if (g == null) {
                    g = knowGenerated(connection(), table);
                    generated.put(table, g);
                }
                RowBatch computed = g.columns().isEmpty() ? b : compute(b, g);
                if (b.writeMode() == WriteMode.MATCH) {
                    computed = matchedExactly(computed, table);
                }
                if (computed == b) {
                    continue;
                }
                if (out == null) {
                    out = new ArrayList<>(batches);
                }
                out.set(i, computed);
            }
        } catch (SQLException e) {
            close(); // a retry connects again
            throw e;
        }
        return out == null ? batches : out;
    }

    /**
     * The {@link WriteMode#MATCH} batch matching only on columns whose streamed values equal the loaded ones: not on the
     * columns this class reads back or computes (stored generated columns, timetz, the arrays above), whose streamed
     * value may differ from the value a load wrote (a generated column follows from the others anyway). When no column
     * is left, a removal takes any live row (the rows are counted right, if not their values).
     */
    private RowBatch matchedExactly(RowBatch b, LogicalTable table) throws SQLException {
        if (!byTable.containsKey(table)) {
            know(connection(), List.of(table));
        }
        List<String> inexact = byTable.get(table);
        List<String> match = b.keyColumns().stream().filter(c -> !inexact.contains(c)).toList();
        return match.size() == b.keyColumns().size() ? b : b.withTarget(b.target(), b.columns(), match, b.constants());
    }

    private Generated knowGenerated(Connection c, LogicalTable table) throws SQLException {
        List<Column> columns = new ArrayList<>();
        List<String> expressions = new ArrayList<>();
        List<Boolean> keep = new ArrayList<>();
        java.util.LinkedHashMap<Column, String> inputs = new java.util.LinkedHashMap<>();
        if (c.getMetaData().getDatabaseMajorVersion() >= 12) { // no generated columns before PostgreSQL 12
            generatedColumns(c, table, columns, expressions, keep, inputs);
        }
        // Arrays whose streamed elements are strings (composite, domain and hstore elements; domains over arrays): the
        // streamed JSON array's elements, as text, cast back to the column's type and written by array_to_json. Only
        // one-dimensional ones: for others the expression gives NULL, and the streamed value stays.
        if (!byTable.containsKey(table)) {
            know(c, List.of(table));
        }
        for (String name : byTable.get(table)) {
            Column column = table.info().column(name);
            Column resolved = column == null ? null : TypeMapping.resolve(column);
            if (resolved == null || !TypeMapping.isArray(resolved) || columns.stream().anyMatch(g -> g.name().equals(name))) {
                continue;
            }
            String q = SourceTable.quote(name);
            columns.add(resolved);
            expressions.add("CASE WHEN left(ltrim(CAST(" + q + " AS text)), 2) <> '[[' THEN CAST(ARRAY("
                    + "SELECT json_array_elements_text(" + q + ")) AS " + column.sourceType() + ") END");
            keep.add(true);
            inputs.put(resolved, "json");
        }
        return columns.isEmpty() ? Generated.NONE : new Generated(columns, expressions, keep,
                List.copyOf(inputs.keySet()), List.copyOf(inputs.values()));
    }

    /** Adds the table's stored generated columns whose inputs go back to the server exactly (see the class comment). */
    private void generatedColumns(Connection c, LogicalTable table, List<Column> columns, List<String> expressions,
                                  List<Boolean> keep, Map<Column, String> inputs) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(GENERATED)) {
            ps.setLong(1, table.info().oid());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Column column = table.info().column(rs.getString(1));
                    List<Column> reads = new ArrayList<>();
                    String cannot = null;
                    for (String name : (String[]) rs.getArray(3).getArray()) {
                        Column input = table.info().column(name);
                        Column resolved = input == null ? null : TypeMapping.resolve(input);
                        if (resolved == null || !EXACT_AS_TEXT.contains(resolved.type()) || TypeMapping.isArray(resolved)) {
                            cannot = name + (input == null ? "" : " (" + input.sourceType() + ")");
                            break;
                        }
                        reads.add(resolved);
                    }
                    if (column == null) {
                        continue; // added after the table was described: its next description asks again
                    }
                    if (cannot != null) {
                        LOG.warn("pipeline {}: {} has no key: its generated column {} stays NULL in streamed rows, since it"
                                + " reads column {}, whose streamed values do not go back to the server exactly",
                                settings.name(), table.info().table().display(), column.name(), cannot);
                        continue;
                    }
                    columns.add(TypeMapping.resolve(column));
                    expressions.add(rs.getString(2));
                    keep.add(false);
                    reads.forEach(r -> inputs.put(r, r.sourceType()));
                }
            }
        }
    }

    /** The batch with the generated columns {@code g} computed on the source over its rows' values. */
    private RowBatch compute(RowBatch b, Generated g) throws SQLException {
        int[] inputAt = g.inputs().stream().mapToInt(col -> b.columnIndex(col.name())).toArray();
        if (java.util.Arrays.stream(inputAt).anyMatch(i -> i < 0)) {
            return b; // the batch lacks a column (a table described before the column was added): as it came
        }
        // the generated columns the stream does not carry are added to the batch's columns
        List<Column> columns = new ArrayList<>(b.columns());
        int[] outputAt = new int[g.columns().size()];
        for (int k = 0; k < outputAt.length; k++) {
            outputAt[k] = b.columnIndex(g.columns().get(k).name());
            if (outputAt[k] < 0) {
                outputAt[k] = columns.size();
                columns.add(g.columns().get(k));
            }
        }
        int n = b.rows().size();
        String[][] texts = new String[inputAt.length][n];
        boolean[] skip = new boolean[n];
        for (int r = 0; r < n; r++) {
            Object[] row = b.rows().get(r);
            for (int i = 0; i < inputAt.length; i++) {
                Object v = row[inputAt[i]];
                if (DebeziumValues.unavailable(v)) {
                    skip[r] = true; // its values stay as they came; the placeholder is not sent (it may not cast)
                } else {
                    texts[i][r] = asText(v);
                }
            }
        }
        // ord: the rows' order; the inputs cast from text to their types under their own names, which the expressions use
        String ord = "_pgingest_ord";
        StringBuilder sql = new StringBuilder("SELECT ")
                .append(g.columns().stream().map(TypeMapping::selectExpression).collect(Collectors.joining(", ")))
                .append(" FROM (SELECT v.").append(ord);
        for (int i = 0; i < g.columns().size(); i++) {
            sql.append(", (").append(g.expressions().get(i)).append(") AS ").append(SourceTable.quote(g.columns().get(i).name()));
        }
        sql.append(" FROM (SELECT u.").append(ord);
        for (int i = 0; i < inputAt.length; i++) {
            Column in = g.inputs().get(i);
            sql.append(", CAST(u.p").append(i).append(" AS ").append(g.inputTypes().get(i)).append(") AS ").append(SourceTable.quote(in.name()));
        }
        sql.append(" FROM unnest(").append(String.join(", ", java.util.Collections.nCopies(inputAt.length, "CAST(? AS text[])")))
                .append(") WITH ORDINALITY AS u(");
        for (int i = 0; i < inputAt.length; i++) {
            sql.append('p').append(i).append(", ");
        }
        sql.append(ord).append(")) AS v) AS g ORDER BY g.").append(ord);
        List<TypeMapping.ValueReader> readers = g.columns().stream().map(TypeMapping::reader).toList();
        List<Object[]> rows = new ArrayList<>(n);
        Connection c = connection();
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < inputAt.length; i++) {
                ps.setArray(i + 1, c.createArrayOf("text", texts[i]));
            }
            ResultSet result;
            try {
                result = ps.executeQuery();
            } catch (SQLException e) {
                String state = String.valueOf(e.getSQLState());
                if (!state.startsWith("22") && !state.startsWith("42")) {
                    throw e; // the connection or the server: retried
                }
                // a value the server does not take back, or an expression it cannot run outside its table: the rows are
                // written without these values rather than the stream stopped
                LOG.warn("pipeline {}: {} has no key: its columns {} stay as streamed (generated ones NULL) in {} rows, since"
                        + " the source could not compute them from the streamed values: {}", settings.name(), b.source().display(),
                        g.columns().stream().map(Column::name).toList(), n, e.getMessage());
                if (!c.getAutoCommit()) {
                    c.rollback();
                }
                return b;
            }
            try (ResultSet rs = result) {
                for (int r = 0; r < n; r++) {
                    if (!rs.next()) {
                        throw new SQLException("computing the columns of " + b.source().display() + " gave "
                                + r + " rows for " + n);
                    }
                    Object[] row = java.util.Arrays.copyOf(b.rows().get(r), columns.size());
                    if (!skip[r]) {
                        for (int k = 0; k < outputAt.length; k++) {
                            Object value = readers.get(k).read(rs, k + 1);
                            if (value != null || !g.keepStreamed().get(k)) {
                                row[outputAt[k]] = value;
                            }
                        }
                    }
                    rows.add(row);
                }
            }
        }
        return b.withRows(columns, rows);
    }

    /** A streamed value as text the server reads back to the same value (for {@link #EXACT_AS_TEXT}'s types). */
    static String asText(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof byte[] bytes) {
            return "\\x" + java.util.HexFormat.of().formatHex(bytes);
        }
        if (v instanceof java.math.BigDecimal d) {
            return d.toPlainString();
        }
        if (v instanceof java.time.LocalDate d) {
            return d.equals(java.time.LocalDate.MAX) ? "infinity" : d.equals(java.time.LocalDate.MIN) ? "-infinity"
                    : dateText(d, "");
        }
        if (v instanceof java.time.LocalDateTime t) {
            return t.equals(java.time.LocalDateTime.MAX) ? "infinity" : t.equals(java.time.LocalDateTime.MIN) ? "-infinity"
                    : dateText(t.toLocalDate(), " " + t.toLocalTime());
        }
        if (v instanceof java.time.OffsetDateTime t) {
            if (t.equals(java.time.OffsetDateTime.MAX) || t.equals(java.time.OffsetDateTime.MIN)) {
                return t.equals(java.time.OffsetDateTime.MAX) ? "infinity" : "-infinity";
            }
            java.time.OffsetDateTime utc = t.withOffsetSameInstant(java.time.ZoneOffset.UTC);
            return dateText(utc.toLocalDate(), " " + utc.toLocalTime() + "+00");
        }
        return v.toString();
    }

    /**
     * A date and what follows it ({@code time}) as PostgreSQL reads them: years before 1 as {@code BC} (ISO's year 0 is
     * 1 BC), and no sign before years past 9999 (Java's ISO form has both wrong for PostgreSQL).
     */
    private static String dateText(java.time.LocalDate d, String time) {
        int year = d.getYear();
        boolean bc = year <= 0;
        return String.format(java.util.Locale.ROOT, "%04d-%02d-%02d", bc ? 1 - year : year, d.getMonthValue(),
                d.getDayOfMonth()) + time + (bc ? " BC" : "");
    }

    /**
     * Reads the values the batch's inserted rows lack ({@link ChangeBatcher.Missing}: the new row of a key update,
     * without its unchanged TOASTed values) and writes them like the columns above.
     */
    void fill(List<ChangeBatcher.Missing> missing, BatchSink sink, long position) throws Exception {
        try {
            List<LogicalTable> unknown = missing.stream().map(ChangeBatcher.Missing::table).filter(t -> !byTable.containsKey(t))
                    .distinct().toList();
            if (!unknown.isEmpty()) {
                know(connection(), unknown);
            }
            for (ChangeBatcher.Missing m : missing) {
                List<String> columns = new ArrayList<>(m.columns());
                columns.removeAll(byTable.getOrDefault(m.table(), List.of())); // read by refresh already
                if (columns.isEmpty()) {
                    continue;
                }
                if (gone.contains(m.table())) {
                    LOG.warn("pipeline {}: {} is no longer at the source under that name: {} rows inserted by a change of"
                            + " their key lack the values of {} (unchanged TOAST values the WAL does not carry)",
                            settings.name(), m.table().info().table().display(), m.keys().size(), columns);
                } else {
                    readBack(m.table(), columns, m.keys(), sink, position);
                }
            }
        } catch (SQLException e) {
            close();
            throw e;
        }
    }

    /**
     * Asks the source (through {@code c}) which columns of these tables are read back. A table no longer in the catalog
     * under its name (dropped, or renamed: its changes made before still arrive under the old name) has none: there is
     * nothing to read back from.
     */
    void know(Connection c, Collection<LogicalTable> tables) throws SQLException {
        Map<Long, List<String>> byOid = new HashMap<>();
        for (LogicalTable t : tables) {
            byOid.put(t.info().oid(), new ArrayList<>());
        }
        if (byOid.isEmpty()) {
            return;
        }
        Map<Long, SourceTable> names = new HashMap<>();
        Array oids = c.createArrayOf("int8", byOid.keySet().toArray());
        try (PreparedStatement ps = c.prepareStatement("SELECT c.oid::int8, n.nspname, c.relname FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid::int8 = ANY(?)")) {
            ps.setArray(1, oids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.put(rs.getLong(1), new SourceTable(settings.source().database(), rs.getString(2), rs.getString(3)));
                }
            }
        }
        // generated columns exist since PostgreSQL 12
        String sql = c.getMetaData().getDatabaseMajorVersion() >= 12 ? COLUMNS : COLUMNS.replace("a.attgenerated = 's'", "false");
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, oids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    byOid.get(rs.getLong(1)).add(rs.getString(2));
                }
            }
        }
        for (LogicalTable t : tables) {
            SourceTable now = names.get(t.info().oid());
            boolean there = now != null && now.schema().equals(t.info().table().schema()) && now.table().equals(t.info().table().table());
            byTable.put(t, there ? byOid.get(t.info().oid()) : List.of());
            if (!there) {
                gone.add(t);
            }
        }
    }

    /** Table versions no longer in the catalog under their name (see {@link #know}). */
    private final Set<LogicalTable> gone = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

    private void readBack(LogicalTable table, List<String> names, List<Object[]> keyValues, BatchSink sink,
                          long position) throws Exception {
        List<String> keys = table.keys();
        List<Column> present = names.stream().map(table.info()::column).filter(java.util.Objects::nonNull).toList();
        if (keys.isEmpty() || present.isEmpty()) {
            return;
        }
        List<Column> columns = new ArrayList<>();
        keys.forEach(k -> columns.add(TypeMapping.resolve(table.info().column(k))));
        present.forEach(g -> columns.add(TypeMapping.resolve(g)));
        List<TypeMapping.ValueReader> readers = columns.stream().map(TypeMapping::reader).toList();
        String select = "SELECT " + columns.stream().map(TypeMapping::selectExpression).collect(Collectors.joining(", "))
                + " FROM " + io.pgingest.source.table.TableQuery.only(table.info()) + table.info().table().quoted() + " WHERE ("
                + keys.stream().map(SourceTable::quote).collect(Collectors.joining(", "))
                + ") IN (";
        String tuple = "(" + keys.stream().map(k -> "CAST(? AS " + table.info().column(k).sourceType() + ")")
                .collect(Collectors.joining(", ")) + ")";
        List<Object[]> rows = new ArrayList<>(keyValues.size());
        for (int from = 0; from < keyValues.size(); from += KEYS_PER_QUERY) {
            List<Object[]> chunk = keyValues.subList(from, Math.min(keyValues.size(), from + KEYS_PER_QUERY));
            String sql = select + String.join(", ", java.util.Collections.nCopies(chunk.size(), tuple)) + ")";
            try (PreparedStatement ps = connection().prepareStatement(sql)) {
                int p = 1;
                for (Object[] key : chunk) {
                    for (Object v : key) {
                        if (v instanceof byte[] bytes) {
                            ps.setBytes(p++, bytes);
                        } else {
                            ps.setString(p++, v == null ? null : v.toString());
                        }
                    }
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Object[] row = new Object[readers.size()];
                        for (int i = 0; i < row.length; i++) {
                            row[i] = readers.get(i).read(rs, i + 1);
                        }
                        rows.add(row);
                    }
                }
            }
        }
        if (!rows.isEmpty()) {
            // not billed again (the change was), as the re-loads of added columns
            sink.accept(new RowBatch(settings.name(), table.info().table(), null, columns, keys, rows, LoadKind.HISTORICAL,
                    WriteMode.UPSERT, position, Instant.now(), Map.of(), false));
        }
    }

    /** The key values of the rows the batches wrote that are not deleted, each once. */
    private static List<Object[]> liveKeys(List<RowBatch> batches, List<String> keys) {
        Map<List<Object>, Object[]> out = new LinkedHashMap<>();
        for (RowBatch b : batches) {
            int deleted = b.columnIndex(Metadata.DELETED);
            int[] index = keys.stream().mapToInt(b::columnIndex).toArray();
            for (Object[] row : b.rows()) {
                if (deleted >= 0 && Boolean.TRUE.equals(row[deleted])) {
                    continue;
                }
                Object[] key = new Object[index.length];
                for (int i = 0; i < index.length; i++) {
                    key[i] = row[index[i]];
                }
                out.putIfAbsent(java.util.Arrays.asList(key), key);
            }
        }
        return new ArrayList<>(out.values());
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = SourceConnections.open(settings.source(), settings.name());
        }
        return connection;
    }

    /** Closes the source connection (a failed read closes it too, so that a retry connects again). */
    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // nothing to do: the connection is being dropped
            }
            connection = null;
        }
    }
}
