package io.pgingest.destination.duckdb;

import io.pgingest.destination.BatchTable;
import io.pgingest.destination.ColumnChange;
import io.pgingest.destination.NumericType;
import io.pgingest.destination.Sql;
import io.pgingest.event.Column;
import io.pgingest.event.LogicalType;
import io.pgingest.event.Metadata;
import io.pgingest.event.WriteMode;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * Writes one batch on one DuckDB connection inside the caller's transaction: evolves the table,
 * appends the rows into a temporary staging table, then applies them with one {@code MERGE}
 * (upsert) or {@code INSERT ... SELECT} (append). Not thread-safe: one instance per batch.
 */
final class DuckDbBatchLoad {

    static final String STAGE = "_pgingest_stage";
    static final String SEQ = "_pgingest_seq";

    private final DuckDBConnection connection;
    private final BatchTable table;
    private final String target;
    private final LinkedHashMap<String, String> wanted;
    private Map<String, String> existing;

    DuckDbBatchLoad(DuckDBConnection connection, BatchTable table) {
        this.connection = connection;
        this.table = table;
        this.target = Sql.quote(table.name());
        this.wanted = wantedTypes(table);
    }

    void run() throws SQLException {
        ensureTable();
        if (!table.batch().rows().isEmpty()) {
            stage();
            apply();
        }
        if (table.batch().writeMode() == WriteMode.REPLACE_RUN && table.batch().endOfRun()) {
            deleteEarlierRuns();
        }
    }

    /** Destination types the batch needs; a DECIMAL column holding NaN/Infinity text needs VARCHAR. */
    private static LinkedHashMap<String, String> wantedTypes(BatchTable table) {
        LinkedHashMap<String, String> types = new LinkedHashMap<>();
        for (int i = 0; i < table.columns().size(); i++) {
            Column column = table.columns().get(i);
            String type = DuckDbTypes.ddlType(column);
            if (column.type() == LogicalType.DECIMAL && holdsText(table, i)) {
                type = DuckDbTypes.VARCHAR;
            }
            types.put(column.name(), type);
        }
        types.put(Metadata.INGESTED_AT, "TIMESTAMP WITH TIME ZONE");
        types.put(Metadata.LOADED_AT, "TIMESTAMP WITH TIME ZONE");
        types.put(Metadata.POSITION, "BIGINT");
        return types;
    }

    private static boolean holdsText(BatchTable table, int index) {
        for (Object[] row : table.batch().rows()) {
            if (table.value(row, index) instanceof String) {
                return true;
            }
        }
        return false;
    }

    private boolean appends() {
        return table.batch().writeMode() != WriteMode.UPSERT;
    }

    private String sequence() {
        return Sql.quote(table.name() + "__pgingest_id_seq");
    }

    private void ensureTable() throws SQLException {
        existing = existingColumns();
        try (Statement s = connection.createStatement()) {
            if (appends()) {
                s.execute("CREATE SEQUENCE IF NOT EXISTS " + sequence());
            }
            if (existing.isEmpty()) {
                s.execute(createTable());
                existing = new LinkedHashMap<>(wanted);
                return;
            }
            for (ColumnChange change : ColumnChange.plan(existing, wanted, DuckDbTypes::widen)) {
                String column = Sql.quote(change.column());
                s.execute("ALTER TABLE " + target + (change.isAdd() ? " ADD COLUMN " + column + " " + change.toType()
                        : " ALTER COLUMN " + column + " SET DATA TYPE " + change.toType()));
                existing.put(change.column(), change.toType());
            }
            if (appends() && !existing.containsKey(Metadata.ID)) {
                s.execute("ALTER TABLE " + target + " ADD COLUMN " + Sql.quote(Metadata.ID) + " BIGINT");
            }
        }
    }

    private String createTable() {
        List<String> definitions = new ArrayList<>();
        if (appends()) {
            definitions.add(Sql.quote(Metadata.ID) + " BIGINT");
        }
        wanted.forEach((name, type) -> definitions.add(Sql.quote(name) + " " + type));
        return "CREATE TABLE IF NOT EXISTS " + target + " (" + String.join(", ", definitions) + ")";
    }

    private Map<String, String> existingColumns() throws SQLException {
        String sql = "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
                + "AND schema_name = 'main' AND table_name = ? ORDER BY column_index";
        Map<String, String> columns = new LinkedHashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return columns;
    }

    private void stage() throws SQLException {
        List<Column> columns = table.columns();
        String[] stagingTypes = new String[columns.size()];
        int[] scales = new int[columns.size()];
        List<String> definitions = new ArrayList<>();
        definitions.add(Sql.quote(SEQ) + " BIGINT");
        for (int i = 0; i < columns.size(); i++) {
            Column column = columns.get(i);
            stagingTypes[i] = DuckDbTypes.stagingType(column.type(), wanted.get(column.name()));
            NumericType decimal = NumericType.parseDecimal(stagingTypes[i]);
            scales[i] = decimal == null ? -1 : decimal.scale();
            definitions.add(Sql.quote(column.name()) + " " + stagingTypes[i]);
        }
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE OR REPLACE TEMP TABLE " + STAGE + " (" + String.join(", ", definitions) + ")");
        }
        try (DuckDBAppender appender = connection.createAppender("temp", "main", STAGE)) {
            long seq = 0;
            for (Object[] row : table.batch().rows()) {
                appender.beginRow().append(seq++);
                for (int i = 0; i < columns.size(); i++) {
                    DuckDbAppend.append(appender, columns.get(i).type(), stagingTypes[i], scales[i], table.value(row, i));
                }
                appender.endRow();
            }
        }
    }

    private void apply() throws SQLException {
        List<String> names = table.columns().stream().map(Column::name).collect(Collectors.toList());
        List<String> all = new ArrayList<>(names);
        all.addAll(List.of(Metadata.INGESTED_AT, Metadata.LOADED_AT, Metadata.POSITION));
        String source = "SELECT " + castColumns(names) + ", TIMESTAMPTZ " + Sql.literal(table.batch().ingestedAt().toString())
                + " AS " + Sql.quote(Metadata.INGESTED_AT) + ", now() AS " + Sql.quote(Metadata.LOADED_AT) + ", "
                + table.batch().position() + "::BIGINT AS " + Sql.quote(Metadata.POSITION) + " FROM temp.main." + STAGE + " s";
        String sql;
        if (appends()) {
            sql = "INSERT INTO " + target + " (" + Sql.columnList(all, "") + ", " + Sql.quote(Metadata.ID) + ") SELECT *, nextval('"
                    + table.name() + "__pgingest_id_seq') FROM (" + source + " ORDER BY s." + SEQ + ")";
        } else {
            // Collapsing rows per key costs a window; skip it when the batch has no repeated key.
            String collapse = table.keysKnownUnique() ? "" : " QUALIFY row_number() OVER (PARTITION BY "
                    + Sql.columnList(table.key(), "s.") + " ORDER BY s." + SEQ + " DESC) = 1";
            sql = "MERGE INTO " + target + " AS t USING (" + source + collapse + ") AS s ON ("
                    + Sql.keyMatch(table.key(), "t", "s") + ") WHEN MATCHED AND (t." + Sql.quote(Metadata.POSITION) + " IS NULL OR t." + Sql.quote(Metadata.POSITION)
                    + " <= s." + Sql.quote(Metadata.POSITION) + ") THEN UPDATE SET " + updateList(all)
                    + " WHEN NOT MATCHED THEN INSERT (" + Sql.columnList(all, "") + ") VALUES (" + Sql.columnList(all, "s.") + ")";
        }
        try (Statement s = connection.createStatement()) {
            s.executeUpdate(sql);
            s.execute("DROP TABLE temp.main." + STAGE);
        }
    }

    /** Each staged column cast to the destination column's (possibly wider) type. */
    private String castColumns(List<String> names) {
        return names.stream().map(n -> "CAST(s." + Sql.quote(n) + " AS " + existing.get(n) + ") AS " + Sql.quote(n))
                .collect(Collectors.joining(", "));
    }

    private String updateList(List<String> all) {
        return all.stream().filter(n -> !table.isKey(n)).map(n -> Sql.quote(n) + " = s." + Sql.quote(n))
                .collect(Collectors.joining(", "));
    }

    private void deleteEarlierRuns() throws SQLException {
        String sql = "DELETE FROM " + target + " WHERE " + Sql.quote(Metadata.POSITION) + " < " + table.batch().position();
        Object database = table.batch().constants().get(Metadata.DATABASE);
        if (database != null) {
            sql += " AND " + Sql.quote(Metadata.DATABASE) + " = " + Sql.literal(database.toString());
        }
        try (Statement s = connection.createStatement()) {
            s.executeUpdate(sql);
        }
    }
}
