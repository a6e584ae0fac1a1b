package io.pgingest.destination.duckdb;

import io.pgingest.destination.BatchTable;
import io.pgingest.destination.ColumnChange;
import io.pgingest.destination.NumericType;
import io.pgingest.destination.Sql;
import io.pgingest.event.Column;
import io.pgingest.event.CopyRows;
import io.pgingest.event.LoadKind;
import io.pgingest.event.LogicalType;
import io.pgingest.event.Metadata;
import io.pgingest.event.WriteMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one batch on one DuckDB connection inside the caller's transaction: evolves the table,
 * appends the rows into a temporary staging table, then applies them: an upsert of every column
 * deletes the rows of the batch's keys and inserts the batch's ({@link #replaceRows}), one of some
 * columns merges them ({@link #mergeRows}), an append and the historical load of a new table insert
 * them (see {@link #run}). Not thread-safe: one instance per batch.
 */
final class DuckDbBatchLoad {

    private static final Logger LOG = LoggerFactory.getLogger(DuckDbBatchLoad.class);
    static final String STAGE = "_pgingest_stage";
    static final String SEQ = "_pgingest_seq";
    /** Whether the failure to write a CSV page was logged as a warning already (once per process). */
    private static final java.util.concurrent.atomic.AtomicBoolean CSV_WARNED = new java.util.concurrent.atomic.AtomicBoolean();
    /** The bits of numeric's sign word that mark NaN and the infinities (0xC000 and up). */
    private static final int NUMERIC_SPECIAL = 0xC000;

    private final DuckDBConnection connection;
    private final BatchTable table;
    private final String target;
    private final LinkedHashMap<String, String> wanted;
    /** The type the appender writes for each of the batch's columns (see {@link DuckDbTypes#stagingType}). */
    private final String[] types;
    /** Each of {@link #types}' decimal scale, or -1. */
    private final int[] scales;
    /** The table's columns as the writers last committed them ({@link DuckDbDatabase#columns}), or null. */
    private final Map<String, String> known;
    private final Path pageDirectory;
    private Map<String, String> existing;
    /** Whether this batch created or altered the table (its columns then hold the DDL's type names, not the catalog's). */
    private boolean changedTable;

    /**
     * @param known         the table's columns as the writers last committed them, or null to look them up
     * @param pageDirectory where the rows' CSV file goes, when they have one ({@link DuckDbDatabase#pageDirectory})
     */
    DuckDbBatchLoad(DuckDBConnection connection, BatchTable table, Map<String, String> known, Path pageDirectory) {
        this.connection = connection;
        this.pageDirectory = pageDirectory;
        this.known = known;
        this.table = table;
        this.target = Sql.quote(table.name());
        this.wanted = wantedTypes(table);
        this.types = stagingTypes();
        this.scales = scales(types);
    }

    /**
     * Writes the batch. The historical load of an upsert table that the load itself created
     * ({@code loading}: the writer remembers such tables until their load ends) inserts its rows
     * without merging them: they are new, and a merge joins every page against the growing table.
     * A page written twice (retried after its commit) would leave a key twice, so the load's last
     * batch ({@code endOfRun}), or the table's first batch of another kind, removes such repeats
     * first (the row with the newest {@code _pgingest_position} stays). Returns whether the table
     * is still {@code loading} after this batch.
     */
    boolean run(boolean loading) throws SQLException {
        if (table.batch().writeMode() == WriteMode.TRUNCATE) {
            softDeleteEarlierRows();
            return loading;
        }
        boolean created = ensureTable();
        boolean direct = !appends() && table.batch().kind() == LoadKind.HISTORICAL && (loading || created);
        if (loading && !direct) {
            removeRepeatedKeys();
        }
        if (!table.batch().rows().isEmpty()) {
            boolean insert = direct && table.keysKnownUnique();
            CsvPage.File csv = csvPage(!insert);
            try {
                if (insert && csv != null) {
                    insertCsv(csv);
                } else if (insert && appendable()) {
                    appendNew();
                } else if (insert) {
                    stage(null);
                    insertNew();
                } else {
                    stage(csv);
                    apply();
                }
            } finally {
                if (csv != null) {
                    deleteQuietly(csv.path());
                }
            }
        }
        if (table.batch().writeMode() == WriteMode.REPLACE_RUN && table.batch().endOfRun()) {
            deleteEarlierRuns();
        }
        if (direct && table.batch().endOfRun()) {
            removeRepeatedKeys();
            return false;
        }
        return direct;
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
        if (table.batch().writeMode() == WriteMode.MATCH) {
            types.put(Metadata.DELETED_BY, "DECIMAL(38,0)");
        }
        return types;
    }

    private static boolean holdsText(BatchTable table, int index) {
        if (table.batch().rows() instanceof CopyRows binary && !binary.isDecoded() && index < binary.binaryTypes().size()
                && binary.binaryTypes().get(index).equals("numeric")) {
            // numeric's binary form: digit count, weight, then the sign word, which marks NaN and the infinities
            return binary.anyField(index, (b, o, n) -> (((b[o + 4] & 0xFF) << 8) & NUMERIC_SPECIAL) == NUMERIC_SPECIAL);
        }
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

    /**
     * The table's columns after {@link #run}, as DuckDB's catalog names their types, to remember once committed: when
     * this batch created or altered the table, read back from the catalog ({@link #readColumns}).
     */
    Map<String, String> columns() throws SQLException {
        return changedTable ? readColumns() : existing;
    }

    /**
     * The columns of the table as DuckDB's catalog has them now, read by the table's name ({@code pragma_table_info}),
     * which, unlike {@code duckdb_columns()}, does not scan every table of the file.
     */
    private Map<String, String> readColumns() throws SQLException {
        Map<String, String> columns = new LinkedHashMap<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT name, type FROM pragma_table_info(?) ORDER BY cid")) {
            ps.setString(1, target);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return columns;
    }

    /** Creates or evolves the table; returns whether it was created. */
    private boolean ensureTable() throws SQLException {
        existing = known != null ? new LinkedHashMap<>(known) : existingColumns();
        try (Statement s = connection.createStatement()) {
            // a committed table with the id column got its sequence in the same transaction
            if (appends() && (known == null || !known.containsKey(Metadata.ID))) {
                s.execute("CREATE SEQUENCE IF NOT EXISTS " + sequence());
            }
            if (existing.isEmpty()) {
                s.execute(createTable());
                existing = new LinkedHashMap<>(wanted);
                changedTable = true;
                return true;
            }
            for (ColumnChange change : ColumnChange.plan(existing, wanted, DuckDbTypes::widen)) {
                String column = Sql.quote(change.column());
                s.execute("ALTER TABLE " + target + (change.isAdd() ? " ADD COLUMN " + column + " " + change.toType()
                        : " ALTER COLUMN " + column + " SET DATA TYPE " + change.toType()));
                existing.put(change.column(), change.toType());
                changedTable = true;
            }
            if (appends() && !existing.containsKey(Metadata.ID)) {
                s.execute("ALTER TABLE " + target + " ADD COLUMN " + Sql.quote(Metadata.ID) + " BIGINT");
                changedTable = true;
            }
        }
        return false;
    }

    private String createTable() {
        List<String> definitions = new ArrayList<>();
        if (appends()) {
            definitions.add(Sql.quote(Metadata.ID) + " BIGINT");
        }
        wanted.forEach((name, type) -> definitions.add(Sql.quote(name) + " " + type));
        // without IF NOT EXISTS: a table the writers took for absent (made through another connection since they read the
        // catalog) fails the batch, which is written again with the table looked up (DuckDbWriter#write)
        return "CREATE TABLE " + target + " (" + String.join(", ", definitions) + ")";
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

    private String[] stagingTypes() {
        List<Column> columns = table.columns();
        String[] staging = new String[columns.size()];
        for (int i = 0; i < columns.size(); i++) {
            staging[i] = DuckDbTypes.stagingType(columns.get(i).type(), wanted.get(columns.get(i).name()));
        }
        return staging;
    }

    private static int[] scales(String[] staging) {
        int[] decimalScales = new int[staging.length];
        for (int i = 0; i < staging.length; i++) {
            NumericType decimal = NumericType.parseDecimal(staging[i]);
            decimalScales[i] = decimal == null ? -1 : decimal.scale();
        }
        return decimalScales;
    }

    /** Appends the batch's columns of one row. */
    private void appendColumns(DuckDBAppender appender, Object[] row) throws SQLException {
        List<Column> columns = table.columns();
        for (int i = 0; i < columns.size(); i++) {
            DuckDbAppend.append(appender, columns.get(i).type(), types[i], scales[i], table.value(row, i));
        }
    }

    /**
     * The batch's rows as a CSV file DuckDB reads natively ({@link CsvPage}), numbered for a staging table; null when
     * they are not in binary form, a column or value has no exact CSV form, or the file cannot be written (the rows are
     * then appended as before).
     */
    private CsvPage.File csvPage(boolean numbered) {
        if (!(table.batch().rows() instanceof CopyRows rows) || rows.isDecoded()) {
            return null;
        }
        int own = table.batch().columns().size();
        CsvPage.Kind[] kinds = CsvPage.kinds(table.batch().columns(), rows.binaryTypes(),
                java.util.Arrays.copyOf(types, own));
        if (kinds == null) {
            return null;
        }
        try {
            return CsvPage.write(rows, kinds, scales, numbered, pageDirectory);
        } catch (IOException e) {
            if (CSV_WARNED.compareAndSet(false, true)) {
                LOG.warn("could not write a page of {} rows for {} as a temporary CSV file in {} ({}); appending them"
                        + " instead, which is slower (later failures are logged at DEBUG)", rows.size(), table.name(),
                        pageDirectory, e.toString());
            } else {
                LOG.debug("could not write a page for {} as a temporary CSV file: {}", table.name(), e.toString());
            }
            return null;
        }
    }

    /** The rows of a CSV page as the batch's columns (constants as literals), typed as {@link #types}. */
    private String csvRows(CsvPage.File csv, boolean numbered) {
        List<String> select = new ArrayList<>();
        List<String> csvTypes = new ArrayList<>();
        if (numbered) {
            select.add("c0 AS " + Sql.quote(SEQ));
            csvTypes.add("BIGINT");
        }
        int own = table.batch().columns().size();
        for (int i = 0; i < types.length; i++) {
            String name = Sql.quote(table.columns().get(i).name());
            if (i < own) {
                select.add("c" + csvTypes.size() + " AS " + name);
                csvTypes.add(types[i]);
            } else {
                select.add("CAST(" + constant(table.value(null, i)) + " AS " + types[i] + ") AS " + name);
            }
        }
        return "SELECT " + String.join(", ", select) + " FROM " + CsvPage.readCsv(csv, csvTypes);
    }

    private static String constant(Object value) {
        if (value == null) {
            return "NULL";
        }
        if (value instanceof String text) {
            return Sql.literal(text);
        }
        return value.toString().toUpperCase(java.util.Locale.ROOT); // Long, Integer, Boolean
    }

    /** Rows of a historical load into the table it created, inserted from their CSV page. */
    private void insertCsv(CsvPage.File csv) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.executeUpdate("INSERT INTO " + target + " (" + Sql.columnList(allColumns(), "") + ") "
                    + stagedRows("(" + csvRows(csv, false) + ")"));
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("could not delete the temporary file {}: {}", file, e.toString());
        }
    }

    /** Stages the rows: from their CSV page when there is one, else through the appender. */
    private void stage(CsvPage.File csv) throws SQLException {
        if (csv != null) {
            try (Statement s = connection.createStatement()) {
                s.execute("CREATE OR REPLACE TEMP TABLE " + STAGE + " AS " + csvRows(csv, true));
            }
            return;
        }
        List<String> definitions = new ArrayList<>();
        definitions.add(Sql.quote(SEQ) + " BIGINT");
        for (int i = 0; i < types.length; i++) {
            definitions.add(Sql.quote(table.columns().get(i).name()) + " " + types[i]);
        }
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE OR REPLACE TEMP TABLE " + STAGE + " (" + String.join(", ", definitions) + ")");
        }
        try (DuckDBAppender appender = connection.createAppender("temp", "main", STAGE)) {
            long seq = 0;
            for (Object[] row : table.batch().rows()) {
                appender.beginRow().append(seq++);
                appendColumns(appender, row);
                appender.endRow();
            }
        }
    }

    /**
     * Whether the rows can be appended to the table itself: it has exactly the batch's columns and the
     * metadata columns, in that order, of the types the appender writes (no column needs a cast).
     */
    private boolean appendable() {
        List<String> all = allColumns();
        if (!new ArrayList<>(existing.keySet()).equals(all)) {
            return false;
        }
        for (int i = 0; i < all.size(); i++) {
            String type = i < types.length ? types[i] : wanted.get(all.get(i));
            if (!type.equalsIgnoreCase(existing.get(all.get(i)))) {
                return false;
            }
        }
        return true;
    }

    /** Rows of a historical load into the table it created, appended to it with their metadata. */
    private void appendNew() throws SQLException {
        long loadedAtMicros;
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT epoch_us(now())")) {
            rs.next();
            loadedAtMicros = rs.getLong(1);
        }
        long ingestedAtMicros = DuckDbAppend.micros(table.batch().ingestedAt());
        long position = table.batch().position();
        try (DuckDBAppender appender = connection.createAppender(DuckDBConnection.DEFAULT_SCHEMA, table.name())) {
            for (Object[] row : table.batch().rows()) {
                appender.beginRow();
                appendColumns(appender, row);
                appender.appendEpochMicros(ingestedAtMicros).appendEpochMicros(loadedAtMicros).append(position);
                appender.endRow();
            }
        }
    }

    /** The batch's columns, then the metadata columns written with them. */
    private List<String> allColumns() {
        List<String> all = table.columns().stream().map(Column::name).collect(Collectors.toCollection(ArrayList::new));
        all.addAll(List.of(Metadata.INGESTED_AT, Metadata.LOADED_AT, Metadata.POSITION));
        return all;
    }

    /** The staged rows as the table's columns ({@link #allColumns()}). */
    private String stagedRows() {
        return stagedRows("temp.main." + STAGE);
    }

    /** The rows of {@code from} (a table or subquery with the batch's columns) as the table's columns. */
    private String stagedRows(String from) {
        List<String> names = table.columns().stream().map(Column::name).toList();
        return "SELECT " + castColumns(names) + ", TIMESTAMPTZ " + Sql.literal(table.batch().ingestedAt().toString())
                + " AS " + Sql.quote(Metadata.INGESTED_AT) + ", now() AS " + Sql.quote(Metadata.LOADED_AT) + ", "
                + table.batch().position() + "::BIGINT AS " + Sql.quote(Metadata.POSITION) + " FROM " + from + " s";
    }

    /** Rows of a historical load into the table it created: inserted, their keys being new. */
    private void insertNew() throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.executeUpdate("INSERT INTO " + target + " (" + Sql.columnList(allColumns(), "") + ") " + stagedRows());
            s.execute("DROP TABLE temp.main." + STAGE);
        }
    }

    /**
     * Removes the older rows of keys present more than once (a page of a load written twice); the row
     * with the newest position stays, of equal positions the last inserted.
     */
    private void removeRepeatedKeys() throws SQLException {
        if (table.key().isEmpty()) {
            return;
        }
        String key = Sql.columnList(table.key(), "");
        try (Statement s = connection.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM (SELECT 1 FROM " + target + " GROUP BY " + key
                    + " HAVING count(*) > 1)")) {
                rs.next();
                if (rs.getLong(1) == 0) {
                    return;
                }
            }
            int removed = s.executeUpdate("DELETE FROM " + target + " WHERE rowid IN (SELECT r FROM (SELECT rowid AS r, "
                    + "row_number() OVER (PARTITION BY " + key + " ORDER BY " + Sql.quote(Metadata.POSITION)
                    + " DESC NULLS LAST, rowid DESC) AS n FROM " + target + ") WHERE n > 1)");
            LOG.info("DuckDB table {}: removed {} older rows of keys a load had written twice", table.name(), removed);
        }
    }

    private void apply() throws SQLException {
        if (table.batch().writeMode() == WriteMode.MATCH) {
            applyMatches();
            return;
        }
        List<String> all = allColumns();
        String source = stagedRows();
        if (!appends()) {
            // Collapsing rows per key costs a window; skip it when the batch has no repeated key.
            String rows = source + (table.keysKnownUnique() ? "" : " QUALIFY row_number() OVER (PARTITION BY "
                    + Sql.columnList(table.key(), "s.") + " ORDER BY s." + SEQ + " DESC) = 1");
            if (writesWholeRows(all)) {
                replaceRows(all, rows);
            } else {
                mergeRows(all, rows);
            }
            return;
        }
        String fresh = table.lowestChange().map(lowest -> " WHERE " + table.notYetAppended(target, lowest)).orElse("");
        try (Statement s = connection.createStatement()) {
            s.executeUpdate("INSERT INTO " + target + " (" + Sql.columnList(all, "") + ", " + Sql.quote(Metadata.ID)
                    + ") SELECT *, nextval('" + table.name() + "__pgingest_id_seq') FROM (" + source + fresh + " ORDER BY s."
                    + SEQ + ")");
            s.execute("DROP TABLE temp.main." + STAGE);
        }
    }

    /**
     * A {@link WriteMode#MATCH} batch (a table without key, its changes matched on their values), as PostgreSQL's writer
     * does it: left out, the additions the table holds (a row has their number) and the removals it holds (a row was
     * deleted by their number); the additions are inserted first, then per value the {@code k}-th removal (in the batch's
     * order) soft-deletes the {@code k}-th live row (by {@code _pgingest_id}), which takes its number, unless the batch
     * added that row after the removal. Rows compare as a struct of the matched columns (which DuckDB hashes and whose
     * equality holds NULLs equal). Removals that find no live row are counted in a WARN.
     */
    private void applyMatches() throws SQLException {
        String stage = "temp.main." + STAGE;
        String deleted = Sql.quote(Metadata.DELETED);
        String change = Sql.quote(Metadata.CHANGE);
        try (Statement s = connection.createStatement()) {
            s.executeUpdate("INSERT INTO " + target + " (" + Sql.columnList(allColumns(), "") + ", " + Sql.quote(Metadata.ID)
                    + ") SELECT *, nextval('" + table.name() + "__pgingest_id_seq') FROM (" + stagedRows() + " WHERE NOT s."
                    + deleted + " AND NOT EXISTS (SELECT 1 FROM " + target + " t WHERE t." + change + " = s." + change
                    + table.sameDatabase("t") + ") ORDER BY s." + Sql.quote(SEQ) + ")");
            long wanted = openRemovals(s);
            long removed = wanted == 0 ? 0 : remove(s);
            if (removed < wanted) {
                LOG.warn("{}: {} of {} rows removed by changes of {} (deletes, old rows of updates) had no equal live row at"
                        + " the destination: it lacks those rows, or their values of a column added since (a table then"
                        + " loaded again, which replaces its rows); if it goes on, restart the table's historical load",
                        table.name(), wanted - removed, wanted, table.batch().source().display());
            }
            s.execute("DROP TABLE temp.main." + STAGE + "_removals");
            s.execute("DROP TABLE " + stage);
        }
    }

    /** Stages the removals of a MATCH batch the table does not hold yet, ranked per value in the batch's order; returns how many. */
    private long openRemovals(Statement s) throws SQLException {
        String change = Sql.quote(Metadata.CHANGE);
        s.execute("CREATE OR REPLACE TEMP TABLE " + STAGE + "_removals AS SELECT change, seq, _v, row_number() OVER (PARTITION"
                + " BY _v ORDER BY seq) AS k FROM (SELECT s." + change + " AS change, s." + Sql.quote(SEQ) + " AS seq, "
                + matchValue(table.matchColumns(), m -> "CAST(s." + Sql.quote(m) + " AS " + existing.get(m) + ")") + " AS _v FROM"
                + " temp.main." + STAGE + " s WHERE s." + Sql.quote(Metadata.DELETED) + " AND NOT EXISTS (SELECT 1 FROM " + target
                + " t WHERE t." + Sql.quote(Metadata.DELETED_BY) + " = s." + change + table.sameDatabase("t") + "))");
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM temp.main." + STAGE + "_removals")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Soft-deletes the live rows paired with the staged removals ({@link #openRemovals}), but for a row the batch added
     * after its removal (its change's addition comes later in the batch: an update whose compared columns did not change
     * added it); returns how many.
     */
    private long remove(Statement s) throws SQLException {
        String removals = "temp.main." + STAGE + "_removals";
        String deleted = Sql.quote(Metadata.DELETED);
        String id = Sql.quote(Metadata.ID);
        String change = Sql.quote(Metadata.CHANGE);
        return s.executeUpdate("UPDATE " + target + " SET " + deleted + " = true, " + Sql.quote(Metadata.POSITION) + " = "
                + table.batch().position() + ", " + Sql.quote(Metadata.DELETED_BY) + " = m.change, "
                + Sql.quote(Metadata.LOADED_AT) + " = now() FROM (SELECT c.id, r.change FROM (SELECT id, change, _v, row_number()"
                + " OVER (PARTITION BY _v ORDER BY id) AS k FROM (SELECT t." + id + " AS id, t." + change + " AS change, "
                + matchValue(table.matchColumns(), m -> "t." + Sql.quote(m)) + " AS _v FROM " + target + " t WHERE t." + deleted
                + " IS NOT TRUE" + table.sameDatabase("t") + ") x WHERE _v IN (SELECT _v FROM " + removals + ")) c JOIN "
                + removals + " r ON r._v = c._v AND r.k = c.k WHERE NOT EXISTS (SELECT 1 FROM temp.main." + STAGE + " a WHERE NOT a."
                + deleted + " AND a." + change + " = c.change AND a." + Sql.quote(SEQ) + " > r.seq)) m WHERE " + target + "." + id
                + " = m.id");
    }

    /**
     * The matched columns' values as one struct (its fields named {@code c0}, {@code c1}, ...: a table cannot hold an
     * unnamed one), {@code value} giving each column's expression. Intervals as their text: DuckDB's equality holds
     * {@code 1 day} and {@code 24:00:00}, or {@code 1 month} and {@code 30 days}, equal, which PostgreSQL keeps apart
     * (found by the session's probe: the row deleted at the source stayed live).
     */
    private String matchValue(List<String> match, java.util.function.Function<String, String> value) {
        List<String> fields = new ArrayList<>();
        for (int i = 0; i < match.size(); i++) {
            String v = value.apply(match.get(i));
            fields.add("c" + i + " := " + ("INTERVAL".equalsIgnoreCase(existing.get(match.get(i))) ? "CAST(" + v + " AS VARCHAR)" : v));
        }
        // no column to compare (each one's streamed value may differ from the loaded one): any live row
        return fields.isEmpty() ? "struct_pack(c0 := 0)" : "struct_pack(" + String.join(", ", fields) + ")";
    }

    /** Whether the batch writes every column of the table (so a row of it may replace the table's row whole). */
    private boolean writesWholeRows(List<String> all) {
        return existing.size() == all.size() && existing.keySet().containsAll(all);
    }

    /**
     * The upsert of a batch that writes every column of the table: the rows of its keys that are not newer than the
     * batch are deleted, then the batch's rows are inserted but for keys whose row is newer (a replay after a restart):
     * the result of a {@code MERGE}, which the writer used until the seventeenth session. A {@code MERGE} updates the
     * rows in place, and each checkpoint (every {@code checkpointThreshold} of WAL) then rewrites every row group the
     * updates touched, with scattered keys the whole table; a delete marks the rows and an insert appends them, which a
     * checkpoint writes as new row groups. bench/duckdb-upserts.sh, on a 1M-row table of pgbench_accounts' shape whose text
     * column holds random values: batches of random keys took a tenth of the {@code MERGE}'s time (20 of 2,500 rows
     * 0.48 s against 5.6 s), batches of consecutive keys 1.1 times as long. The filter on the position in the second
     * statement lets DuckDB skip every row group whose positions are all older than the batch's.
     *
     * @param rows the batch's rows, one per key, as the table's columns {@code all}
     */
    private void replaceRows(List<String> all, String rows) throws SQLException {
        String position = Sql.quote(Metadata.POSITION);
        long batchPosition = table.batch().position();
        try (Statement s = connection.createStatement()) {
            s.executeUpdate("DELETE FROM " + target + " AS t USING (" + rows + ") AS s WHERE "
                    + Sql.keyMatch(table.key(), "t", "s") + " AND (t." + position + " IS NULL OR t." + position
                    + " <= " + batchPosition + ")");
            s.executeUpdate("INSERT INTO " + target + " (" + Sql.columnList(all, "") + ") SELECT * FROM (" + rows
                    + ") AS s WHERE NOT EXISTS (SELECT 1 FROM " + target + " AS t WHERE "
                    + Sql.keyMatch(table.key(), "t", "s") + " AND t." + position + " > " + batchPosition + ")");
            s.execute("DROP TABLE temp.main." + STAGE);
        }
    }

    /**
     * The upsert of a batch that writes some of the table's columns (a delete's key, a row whose unchanged TOAST value
     * was left out, a re-load of some columns): one {@code MERGE}, which updates only those columns. Not delete and
     * insert with the other columns taken from the old rows: that join reads those columns of every row of the table,
     * and was slower than the MERGE when the batch's columns are numbers (bench/duckdb-upserts.sh).
     *
     * @param rows the batch's rows, one per key, as the table's columns {@code all}
     */
    private void mergeRows(List<String> all, String rows) throws SQLException {
        String position = Sql.quote(Metadata.POSITION);
        String update = all.stream().filter(n -> !table.isKey(n)).map(n -> Sql.quote(n) + " = s." + Sql.quote(n))
                .collect(Collectors.joining(", "));
        try (Statement s = connection.createStatement()) {
            s.executeUpdate("MERGE INTO " + target + " AS t USING (" + rows + ") AS s ON (" + Sql.keyMatch(table.key(), "t", "s")
                    + ") WHEN MATCHED AND (t." + position + " IS NULL OR t." + position + " <= s." + position
                    + ") THEN UPDATE SET " + update + " WHEN NOT MATCHED THEN INSERT (" + Sql.columnList(all, "")
                    + ") VALUES (" + Sql.columnList(all, "s.") + ")");
            s.execute("DROP TABLE temp.main." + STAGE);
        }
    }

    /** Each staged column cast to the destination column's (possibly wider) type. */
    private String castColumns(List<String> names) {
        return names.stream().map(n -> "CAST(s." + Sql.quote(n) + " AS " + existing.get(n) + ") AS " + Sql.quote(n))
                .collect(Collectors.joining(", "));
    }

    private void deleteEarlierRuns() throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.executeUpdate("DELETE FROM " + target + Sql.earlierRows(table.batch()));
        }
    }

    /** A {@link WriteMode#TRUNCATE} batch: the table's earlier rows soft-deleted, when the table exists. */
    private void softDeleteEarlierRows() throws SQLException {
        Map<String, String> columns = existingColumns();
        if (!columns.isEmpty()) {
            try (Statement s = connection.createStatement()) {
                s.executeUpdate(Sql.softDeleteEarlierRows(target, table.batch(), columns.containsKey(Metadata.CHANGE)));
            }
        }
    }
}
