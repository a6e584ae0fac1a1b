package io.pgingest.source.logical;

import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
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
 * A table without key cannot be read back: its streamed rows keep generated columns NULL and the others in their
 * streamed form (docs/type-mapping.md, "Streamed values"). Tables without such columns cost a map lookup per batch;
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
