package io.pgingest.destination.postgres;

import io.pgingest.destination.BatchTable;
import io.pgingest.destination.ColumnChange;
import io.pgingest.destination.Sql;
import io.pgingest.event.Column;
import io.pgingest.event.CopyRows;
import io.pgingest.event.LoadKind;
import io.pgingest.event.LogicalType;
import io.pgingest.event.Metadata;
import io.pgingest.event.WriteMode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Writes one batch on one connection inside the caller's transaction: evolves the table, copies
 * the rows into a temporary staging table with {@code COPY ... FROM STDIN}, then applies them (an
 * {@code INSERT ... SELECT}; for upserts an {@code UPDATE ... FROM} first). Not thread-safe: one instance per batch.
 */
final class PostgresBatchLoad {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PostgresBatchLoad.class);

    /** The staging tables' name prefix; the rest is a digest of their columns (see {@link #stage()}). */
    static final String STAGE = "_pgingest_stage_";
    static final String SEQ = "_pgingest_seq";
    private static final int FLUSH_CHARS = 1 << 16;

    private final Connection connection;
    private final String schema;
    private final BatchTable table;
    private final String target;
    private final LinkedHashMap<String, String> wanted;
    /** For appended rows numbered by their change: the lowest number ({@link BatchTable#lowestChange}). */
    private final java.util.Optional<java.math.BigDecimal> lowestChange;
    /** The table's column types once {@link #ensureTable()} created or evolved it. */
    private Map<String, String> columnTypes = Map.of();
    /** The staging table, {@code pg_temp.<name>}, once {@link #stage()} filled it. */
    private String staged;

    PostgresBatchLoad(Connection connection, String schema, BatchTable table) {
        this.connection = connection;
        this.schema = schema;
        this.table = table;
        this.target = Sql.quote(schema) + "." + Sql.quote(table.name());
        this.wanted = wantedTypes(table);
        this.lowestChange = table.lowestChange();
    }

    /**
     * Writes the batch. With {@code tryDirect}, rows are first copied straight into the target
     * table (a savepoint guards the attempt): the bulk path of PostgreSQL, several times faster
     * than a merge. A key that already exists makes the copy fail on the primary key, and the
     * batch then takes the staging-and-merge path. Returns whether the direct copy was used.
     */
    boolean run(boolean tryDirect) throws SQLException, IOException {
        if (table.batch().writeMode() == WriteMode.TRUNCATE) {
            softDeleteEarlierRows();
            return false;
        }
        boolean keyPending = ensureTable();
        boolean direct = false;
        if (!table.batch().rows().isEmpty()) {
            // A key repeated inside the batch also fails the copy on the primary key, and falls back. Rows numbered by
            // their change are staged when the table may hold some of them (a replay after a restart): those it holds
            // are not appended again.
            direct = !matches() && !mayHoldChanges() && (appends() || keyPending || tryDirect)
                    && copyDirect(!keyPending && !appends());
            if (!direct) {
                stage();
                apply();
            }
        }
        if (table.batch().writeMode() == WriteMode.REPLACE_RUN && table.batch().endOfRun()) {
            deleteEarlierRuns();
        }
        return direct;
    }

    /**
     * {@code COPY target (columns, metadata) FROM STDIN}. With {@code guarded}, under a savepoint,
     * returning false when a key already exists.
     */
    private boolean copyDirect(boolean guarded) throws SQLException, IOException {
        OffsetDateTime loadedAt;
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT now()")) {
            rs.next();
            loadedAt = rs.getObject(1, OffsetDateTime.class);
        }
        List<String> names = table.columns().stream().map(Column::name).collect(Collectors.toList());
        names.addAll(List.of(Metadata.INGESTED_AT, Metadata.LOADED_AT, Metadata.POSITION));
        Object[] metadata = {table.batch().ingestedAt().atOffset(ZoneOffset.UTC), loadedAt, table.batch().position()};
        List<LogicalType> types = table.columns().stream().map(Column::type).collect(Collectors.toCollection(ArrayList::new));
        types.addAll(List.of(LogicalType.TIMESTAMPTZ, LogicalType.TIMESTAMPTZ, LogicalType.INT64));
        Map<String, String> actual = existingColumns();
        List<CopyBinary.Encoder> encoders = binaryAllowed()
                ? CopyBinary.encodersFor(types, names.stream().map(actual::get).toList()) : null;
        int n = table.columns().size();
        Savepoint savepoint = guarded ? connection.setSavepoint() : null;
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + target + " ("
                + Sql.columnList(names, "") + ") FROM STDIN" + (encoders != null ? " (FORMAT binary)" : ""));
        try {
            CopyRows encoded = encoders != null ? takenAsIs(actual) : null;
            if (encoded != null) {
                copyEncoded(copy, encoded, encoders, metadata);
            } else if (encoders != null) {
                byte[] tail = CopyBinary.encodeConstants(encoders.subList(n, n + metadata.length), metadata);
                copyBinary(copy, new CopyBinary(encoders.subList(0, n), names), false, metadata.length, tail);
            } else {
                String suffix = "\t" + table.batch().ingestedAt() + "\t" + loadedAt + "\t" + table.batch().position() + "\n";
                copyRows(copy, false, suffix);
            }
            copy.endCopy();
        } catch (SQLException e) {
            if (savepoint == null || !UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            connection.rollback(savepoint);
            return false;
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }
        if (savepoint != null) {
            connection.releaseSavepoint(savepoint);
        }
        return true;
    }

    private static final String UNIQUE_VIOLATION = "23505";

    /** Destination types the batch needs; a DECIMAL column holding NaN/Infinity text needs unconstrained numeric. */
    private static LinkedHashMap<String, String> wantedTypes(BatchTable table) {
        LinkedHashMap<String, String> types = new LinkedHashMap<>();
        for (int i = 0; i < table.columns().size(); i++) {
            Column column = table.columns().get(i);
            String type = PostgresTypes.ddlType(column);
            if (column.type() == LogicalType.DECIMAL && holdsText(table, i)) {
                type = PostgresTypes.NUMERIC;
            }
            types.put(column.name(), type);
        }
        types.put(Metadata.INGESTED_AT, "timestamp with time zone");
        types.put(Metadata.LOADED_AT, "timestamp with time zone");
        types.put(Metadata.POSITION, "bigint");
        if (table.batch().writeMode() == WriteMode.MATCH) {
            types.put(Metadata.DELETED_BY, "numeric(38,0)");
        }
        return types;
    }

    private static boolean holdsText(BatchTable table, int index) {
        if (table.batch().rows() instanceof CopyRows rows && !rows.isDecoded() && index < rows.binaryTypes().size()
                && "numeric".equals(rows.binaryTypes().get(index))) {
            return rows.anyField(index, CopyBinary::isSpecialNumeric); // NaN and infinities decode to text
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

    private boolean matches() {
        return table.batch().writeMode() == WriteMode.MATCH;
    }

    /**
     * The historical load of a new upsert table copies its rows into a table without primary
     * key and creates the key once, at the end of the load (its batch with {@code endOfRun}) or
     * at the first later batch: one index build instead of a million index insertions. Rows a
     * crash made the load copy twice are removed then (the newest position of a key stays).
     */
    private boolean defersKey() {
        return !appends() && table.batch().kind() == LoadKind.HISTORICAL && !table.batch().endOfRun();
    }

    /** Creates or evolves the table; returns whether it is an upsert table whose key is still pending. */
    private boolean ensureTable() throws SQLException {
        Map<String, String> existing = existingColumns();
        try (Statement s = connection.createStatement()) {
            if (existing.isEmpty()) {
                s.execute(createTable());
                indexChanges(s, Map.of());
                columnTypes = wanted;
                return defersKey();
            }
            columnTypes = new LinkedHashMap<>(existing);
            List<String> alterations = new ArrayList<>();
            for (ColumnChange change : ColumnChange.plan(existing, wanted, PostgresTypes::widen)) {
                columnTypes.put(change.column(), change.toType());
                String column = Sql.quote(change.column());
                alterations.add(change.isAdd() ? "ADD COLUMN " + column + " " + change.toType()
                        : "ALTER COLUMN " + column + " TYPE " + change.toType() + " USING " + column + "::" + change.toType());
            }
            if (appends() && !existing.containsKey(Metadata.ID)) {
                alterations.add("ADD COLUMN " + Sql.quote(Metadata.ID) + " bigint GENERATED BY DEFAULT AS IDENTITY");
            }
            if (!alterations.isEmpty()) {
                s.execute("ALTER TABLE " + target + " " + String.join(", ", alterations));
            }
            if (!existing.containsKey(Metadata.CHANGE) || !existing.containsKey(Metadata.DELETED_BY)) {
                indexChanges(s, existing);
            }
            if (!appends()) {
                return !ensurePrimaryKey(s);
            }
            refuseKey(s);
            return false;
        }
    }

    /**
     * Whether the table may hold some of the batch's changes: its highest {@link Metadata#CHANGE} (one look at the end of
     * the column's index) is at least the batch's lowest. Only after a restart, while the changes written before it
     * are read again.
     */
    private boolean mayHoldChanges() throws SQLException {
        if (lowestChange.isEmpty()) {
            return false;
        }
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(table.highestChangeQuery(target))) {
            rs.next();
            java.math.BigDecimal highest = rs.getBigDecimal(1);
            return highest != null && highest.compareTo(lowestChange.get()) >= 0;
        }
    }

    /**
     * Indexes {@link Metadata#CHANGE} and {@link Metadata#DELETED_BY} when the table gets them ({@code existing}: its
     * columns before): a batch looks up its changes' numbers in them.
     */
    private void indexChanges(Statement s, Map<String, String> existing) throws SQLException {
        for (String column : List.of(Metadata.CHANGE, Metadata.DELETED_BY)) {
            if (wanted.containsKey(column) && !existing.containsKey(column)) {
                s.execute("CREATE INDEX ON " + target + " (" + Sql.quote(column) + ")");
            }
        }
    }

    private String createTable() {
        List<String> definitions = new ArrayList<>();
        if (appends()) {
            definitions.add(Sql.quote(Metadata.ID) + " bigint GENERATED BY DEFAULT AS IDENTITY");
        }
        wanted.forEach((name, type) -> definitions.add(Sql.quote(name) + " " + type));
        if (!appends() && !defersKey()) {
            definitions.add("PRIMARY KEY (" + Sql.columnList(table.key(), "") + ")");
        }
        return "CREATE TABLE IF NOT EXISTS " + target + " (" + String.join(", ", definitions) + ")";
    }

    private Map<String, String> existingColumns() throws SQLException {
        String sql = "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                + "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped";
        Map<String, String> columns = new LinkedHashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, schema);
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return columns;
    }

    /**
     * Checks the table's primary key, or creates it unless {@link #defersKey()}; returns
     * whether the table has its primary key afterwards.
     */
    private boolean ensurePrimaryKey(Statement s) throws SQLException {
        List<String> primaryKey = new ArrayList<>();
        String sql = "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                + "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = '" + target.replace("'", "''")
                + "'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)";
        try (ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                primaryKey.add(rs.getString(1));
            }
        }
        if (primaryKey.isEmpty()) {
            if (defersKey()) {
                return false;
            }
            addPrimaryKey(s);
        } else if (!primaryKey.equals(table.key())) {
            throw new IllegalStateException("destination table " + schema + "." + table.name() + " has primary key "
                    + primaryKey + " but the source key is now " + table.key()
                    + ": change the destination table's primary key to " + table.key() + " (its rows must be unique under it), or"
                    + " drop the destination table and load it again with --restart-historical-load " + table.batch().pipeline()
                    + " " + table.batch().source().schema() + "." + table.batch().source().table());
        }
        return true;
    }

    /**
     * Fails a batch of a table without key written into a destination table that has a primary key (made while the source
     * table had one): its rows would fail on the key (equal rows) or be rejected as repeated, with the server's words
     * only. Says what to do instead.
     */
    private void refuseKey(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT 1 FROM pg_index WHERE indrelid = '" + target.replace("'", "''")
                + "'::regclass AND indisprimary")) {
            if (rs.next()) {
                throw new IllegalStateException("destination table " + schema + "." + table.name() + " has a primary key, but"
                        + " the source table " + table.batch().source().display() + " has none now (it was dropped): drop the"
                        + " destination table (its rows are loaded again), or give the source table its key back");
            }
        }
    }

    /**
     * The memory the key's build may sort in, at least: PostgreSQL's default (64 MB, shared with the
     * build's parallel workers) sorts a million-row key partly on disk.
     */
    static final long KEY_BUILD_MEMORY = 256L << 20;

    /**
     * Adds the primary key; when keys repeat (a replayed page), keeps each key's newest row first. The
     * transaction's {@code maintenance_work_mem} is raised to {@link #KEY_BUILD_MEMORY} when lower (the
     * key of bench/logical.sh's 1M rows: 0.32-0.36 s instead of about 0.40 s).
     */
    private void addPrimaryKey(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT set_config('maintenance_work_mem', (greatest(pg_size_bytes("
                + "current_setting('maintenance_work_mem')), " + KEY_BUILD_MEMORY + ") / 1024) || 'kB', true)")) {
            rs.next();
        }
        String add = "ALTER TABLE " + target + " ADD PRIMARY KEY (" + Sql.columnList(table.key(), "") + ")";
        Savepoint savepoint = connection.setSavepoint();
        try {
            s.execute(add);
            connection.releaseSavepoint(savepoint);
            return;
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            connection.rollback(savepoint);
        }
        String same = table.key().stream().map(k -> "a." + Sql.quote(k) + " = b." + Sql.quote(k))
                .collect(Collectors.joining(" AND "));
        String position = Sql.quote(Metadata.POSITION);
        s.executeUpdate("DELETE FROM " + target + " a USING " + target + " b WHERE " + same
                + " AND (a." + position + ", a.ctid) < (b." + position + ", b.ctid)");
        s.execute(add);
    }

    private void stage() throws SQLException, IOException {
        List<String> definitions = new ArrayList<>();
        definitions.add(Sql.quote(SEQ) + " bigint");
        for (Column column : table.columns()) {
            definitions.add(Sql.quote(column.name()) + " " + wanted.get(column.name()));
        }
        // One staging table per session and set of columns, emptied by every commit: creating and dropping one per batch
        // inserted and deleted about 23 catalog rows each time (pg_class, pg_type, pg_attribute, pg_depend), and a loop of
        // 100-row batches took 2.2-4.0 ms per batch instead of 0.8 ms, growing as the catalog bloated (bench/README.md,
        // sixteenth session). A failed batch's connection is closed, and with it its staging tables.
        String columns = String.join(", ", definitions);
        String name = STAGE + digest(columns);
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE TEMP TABLE IF NOT EXISTS " + name + " (" + columns + ") ON COMMIT DELETE ROWS");
        }
        staged = "pg_temp." + name;
        List<String> names = new ArrayList<>(List.of(SEQ));
        List<LogicalType> types = new ArrayList<>(List.of(LogicalType.INT64));
        List<String> stageTypes = new ArrayList<>(List.of("bigint"));
        for (Column column : table.columns()) {
            names.add(column.name());
            types.add(column.type());
            stageTypes.add(wanted.get(column.name()));
        }
        List<CopyBinary.Encoder> encoders = binaryAllowed() ? CopyBinary.encodersFor(types, stageTypes) : null;
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + staged + " FROM STDIN"
                + (encoders != null ? " (FORMAT binary)" : ""));
        try {
            if (encoders != null) {
                copyBinary(copy, new CopyBinary(encoders, names), true, 0, new byte[0]);
            } else {
                copyRows(copy, true, "\n");
            }
            copy.endCopy();
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }
    }

    /** Binary COPY needs canonical value classes; the text format also takes anything else. */
    private boolean binaryAllowed() {
        return table.columns().stream().noneMatch(c -> c.type() == null);
    }

    /**
     * The batch's rows when they are still in the binary form the source read them in and each field is what
     * {@link CopyBinary} would encode from its value for the destination column as it is now; else null.
     */
    private CopyRows takenAsIs(Map<String, String> actual) {
        if (!(table.batch().rows() instanceof CopyRows rows)) {
            return null;
        }
        List<Column> own = table.batch().columns();
        for (int i = 0; i < own.size(); i++) {
            String destination = actual.get(own.get(i).name());
            if (destination == null || !CopyBinary.takesAsIs(rows.binaryTypes().get(i), destination)) {
                return null;
            }
        }
        return rows;
    }

    /**
     * Copies rows still in the source's binary form without decoding them: each tuple's column fields as they
     * are, then the constant columns and the metadata, encoded once.
     */
    private void copyEncoded(CopyIn copy, CopyRows rows, List<CopyBinary.Encoder> encoders, Object[] metadata)
            throws SQLException {
        int own = table.batch().columns().size();
        int n = table.columns().size();
        Object[] tailValues = new Object[n - own + metadata.length];
        for (int i = own; i < n; i++) {
            tailValues[i - own] = table.batch().constants().get(table.columns().get(i).name());
        }
        System.arraycopy(metadata, 0, tailValues, n - own, metadata.length);
        byte[] tail = CopyBinary.encodeConstants(encoders.subList(own, n + metadata.length), tailValues);
        CopyBinary binary = new CopyBinary(List.of(), List.of());
        byte[] header = binary.header();
        copy.writeToCopy(header, 0, header.length);
        byte[] bytes = rows.bytes();
        for (int i = 0; i < rows.size(); i++) {
            binary.encodedRow(bytes, rows.columnsStart(i), rows.columnsEnd(i), own, tailValues.length, tail);
            if (binary.size() >= FLUSH_CHARS) {
                binary.drainTo(copy);
            }
        }
        binary.drainTo(copy);
        byte[] trailer = CopyBinary.trailer();
        copy.writeToCopy(trailer, 0, trailer.length);
    }

    /** Rows in binary COPY format: an optional leading sequence number, the columns, then pre-encoded {@code tail} fields. */
    private void copyBinary(CopyIn copy, CopyBinary binary, boolean withSequence, int tailFields, byte[] tail)
            throws SQLException {
        List<Column> columns = table.columns();
        int offset = withSequence ? 1 : 0;
        Object[] values = new Object[offset + columns.size()];
        byte[] header = binary.header();
        copy.writeToCopy(header, 0, header.length);
        long seq = 0;
        for (Object[] row : table.batch().rows()) {
            if (withSequence) {
                values[0] = seq++;
            }
            for (int i = 0; i < columns.size(); i++) {
                values[offset + i] = table.value(row, i);
            }
            binary.row(values, tailFields, tail);
            if (binary.size() >= FLUSH_CHARS) {
                binary.drainTo(copy);
            }
        }
        binary.drainTo(copy);
        byte[] trailer = CopyBinary.trailer();
        copy.writeToCopy(trailer, 0, trailer.length);
    }

    /** Rows as COPY text: an optional leading sequence number, the columns, then {@code suffix}. */
    private void copyRows(CopyIn copy, boolean withSequence, String suffix) throws SQLException {
        List<Column> columns = table.columns();
        StringBuilder text = new StringBuilder(FLUSH_CHARS + 4096);
        long seq = 0;
        for (Object[] row : table.batch().rows()) {
            if (withSequence) {
                text.append(seq++).append('\t');
            }
            for (int i = 0; i < columns.size(); i++) {
                Column column = columns.get(i);
                if (i > 0) {
                    text.append('\t');
                }
                CopyText.append(text, column.type(), table.value(row, i), column.name());
            }
            text.append(suffix);
            if (text.length() >= FLUSH_CHARS) {
                writeChunk(copy, text);
            }
        }
        writeChunk(copy, text);
    }

    /** 16 hex digits of the SHA-256 of {@code text}: a staging table's name part, the same for the same columns. */
    static String digest(String text) {
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(hash, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java", e);
        }
    }

    private static void writeChunk(CopyIn copy, StringBuilder text) throws SQLException {
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        copy.writeToCopy(bytes, 0, bytes.length);
        text.setLength(0);
    }

    private void apply() throws SQLException {
        List<String> names = table.columns().stream().map(Column::name).collect(Collectors.toList());
        String insertColumns = Sql.columnList(names, "") + ", " + Sql.columnList(
                List.of(Metadata.INGESTED_AT, Metadata.LOADED_AT, Metadata.POSITION), "");
        String ingestedAt = Sql.literal(table.batch().ingestedAt().toString()) + "::timestamptz";
        String values = Sql.columnList(names, "s.") + ", " + ingestedAt + ", now(), " + table.batch().position();
        if (matches()) {
            applyMatches(insertColumns, values);
            return;
        }
        try (Statement s = connection.createStatement()) {
            if (appends()) {
                s.executeUpdate("INSERT INTO " + target + " (" + insertColumns + ") SELECT " + values + " FROM " + staged
                        + " s" + lowestChange.map(lowest -> " WHERE " + table.notYetAppended(target, lowest)).orElse("") + " ORDER BY s." + SEQ);
                return;
            }
            // Collapsing rows per key costs a sort; skip it when the batch has no repeated key.
            boolean unique = table.keysKnownUnique();
            String key = Sql.columnList(table.key(), "s.");
            String rows = unique ? staged : "(SELECT DISTINCT ON (" + key + ") * FROM " + staged + " s ORDER BY "
                    + key + ", s." + SEQ + " DESC)";
            String position = Sql.quote(Metadata.POSITION);
            String newer = "(t." + position + " IS NULL OR t." + position + " <= " + table.batch().position() + ")";
            // Rows whose key exists: an UPDATE joined on the key (about 12% less work for the server than INSERT ... ON
            // CONFLICT, which locks each conflicting row before updating it).
            int updated = s.executeUpdate("UPDATE " + target + " AS t SET " + updateList(names, "s.", ingestedAt) + " FROM " + rows
                    + " s WHERE " + sameKey() + " AND " + newer);
            if (unique && updated == table.batch().rows().size()) {
                return; // every row updated: none is new
            }
            // The rest: new keys, inserted. Keys whose row is newer than the batch (a replay) are neither updated nor
            // inserted. ON CONFLICT keeps the upsert whole should another session insert a key meanwhile.
            s.executeUpdate("INSERT INTO " + target + " AS t (" + insertColumns + ") SELECT " + values + " FROM " + rows
                    + " s WHERE NOT EXISTS (SELECT 1 FROM " + target + " t WHERE " + sameKey() + ") ON CONFLICT ("
                    + Sql.columnList(table.key(), "") + ") DO UPDATE SET " + updateList(names, "EXCLUDED.", "EXCLUDED."
                    + Sql.quote(Metadata.INGESTED_AT)) + " WHERE " + newer);
        }
    }

    /**
     * A {@link WriteMode#MATCH} batch (a table without key, its changes matched on their values). Left out: the additions
     * the table holds (a row has their number) and the removals it holds (a row was deleted by their number). The
     * additions are inserted first; then the removals take live rows of their values as the source's changes did, one
     * after the other: per value, the {@code k}-th removal (in the batch's order) soft-deletes the {@code k}-th live row (by
     * {@code _pgingest_id}: the rows held before the batch, then those the batch added, in its order), which takes its
     * number, provided that row was there before the removal: a row the batch added after it (its own change's new row, an
     * update whose compared columns did not change) is not taken, and the removal is counted as finding none.
     * <p>Before the twenty-second session the removals first took rows held before the batch, and those still open then
     * took rows of the batch, but not a row of any open removal's change: of several updates that left a row's compared
     * values as they were, in one batch, all but one or two left their new rows live (found by the session's probe: 3
     * live rows for 1 after four such updates). Rows compare by their text ({@code ROW(...)::text}, which every type has
     * and which PostgreSQL can hash): one pass over the table's live rows of the removals' values. Removals that find no
     * live row (the destination differed from the source) are counted in a WARN.
     */
    private void applyMatches(String insertColumns, String values) throws SQLException {
        String deleted = Sql.quote(Metadata.DELETED);
        String change = Sql.quote(Metadata.CHANGE);
        try (Statement s = connection.createStatement()) {
            s.executeUpdate("INSERT INTO " + target + " (" + insertColumns + ") SELECT " + values + " FROM " + staged + " s"
                    + " WHERE NOT s." + deleted + " AND NOT EXISTS (SELECT 1 FROM " + target + " t WHERE t." + change + " = s."
                    + change + table.sameDatabase("t") + ") ORDER BY s." + Sql.quote(SEQ));
            long wanted;
            try (ResultSet rs = s.executeQuery(removals() + "SELECT count(*) FROM r")) {
                rs.next();
                wanted = rs.getLong(1);
            }
            long removed = wanted == 0 ? 0 : s.executeUpdate(removals() + removal());
            if (removed < wanted) {
                LOG.warn("{}: {} of {} rows removed by changes of {} (deletes, old rows of updates) had no equal live row at"
                        + " the destination: it lacks those rows, or their values of a column added since (a table then"
                        + " loaded again, which replaces its rows); if it goes on, restart the table's historical load",
                        table.name(), wanted - removed, wanted, table.batch().source().display());
            }
        }
    }

    /**
     * The removals of a MATCH batch the table does not hold yet ({@code r}, ranked per value in the batch's order as
     * {@code rk}) and the live rows of their values ({@code c}, ranked per value by {@code _pgingest_id}), as the
     * {@code WITH} part of a statement. No column to compare (each one's streamed value may differ from the loaded one):
     * every row's text is {@code ()}, any live row.
     */
    private String removals() {
        List<String> match = table.matchColumns();
        String deleted = Sql.quote(Metadata.DELETED);
        String change = Sql.quote(Metadata.CHANGE);
        String tableValue = "ROW(" + match.stream().map(m -> "t." + Sql.quote(m)).collect(Collectors.joining(", ")) + ")::text";
        return "WITH r AS (SELECT s." + change + " AS change, s." + Sql.quote(SEQ) + " AS seq, ROW(" + match.stream().map(m -> "s."
                + Sql.quote(m) + "::" + columnTypes.get(m)).collect(Collectors.joining(", ")) + ")::text AS _v FROM " + staged
                + " s WHERE s." + deleted + " AND NOT EXISTS (SELECT 1 FROM " + target + " t WHERE t."
                + Sql.quote(Metadata.DELETED_BY) + " = s." + change + table.sameDatabase("t") + ")), rk AS (SELECT change, seq,"
                + " _v, row_number() OVER (PARTITION BY _v ORDER BY seq) AS k FROM r), c AS (SELECT v.tid, v.change, v._v,"
                + " row_number() OVER (PARTITION BY v._v ORDER BY v.id) AS k FROM (SELECT t.ctid AS tid, t."
                + Sql.quote(Metadata.ID) + " AS id, t." + change + " AS change, " + tableValue + " AS _v FROM " + target + " t"
                + " WHERE t." + deleted + " IS NOT TRUE" + table.sameDatabase("t") + ") v WHERE v._v IN (SELECT _v FROM r)) ";
    }

    /**
     * The soft delete of the rows {@link #removals} pairs with the removals, but for a row the batch added after its removal
     * (the addition of the row's change comes later in the batch), found by their physical address (a TID scan: the table
     * has no index on {@code _pgingest_id}).
     */
    private String removal() {
        return "UPDATE " + target + " t SET " + Sql.quote(Metadata.DELETED) + " = true, " + Sql.quote(Metadata.POSITION) + " = "
                + table.batch().position() + ", " + Sql.quote(Metadata.DELETED_BY) + " = m.change, "
                + Sql.quote(Metadata.LOADED_AT) + " = now() FROM (SELECT c.tid, rk.change FROM c JOIN rk ON rk._v = c._v"
                + " AND rk.k = c.k WHERE NOT EXISTS (SELECT 1 FROM " + staged + " a WHERE NOT a." + Sql.quote(Metadata.DELETED)
                + " AND a." + Sql.quote(Metadata.CHANGE) + " = c.change AND a." + Sql.quote(SEQ) + " > rk.seq)) m"
                + " WHERE t.ctid = m.tid";
    }

    /**
     * The join of the staged row {@code s} with the table's row {@code t} of its key. The staged side is cast to the
     * table column's type, so that the comparison is the key index's own even where the table's column is wider.
     */
    private String sameKey() {
        return table.key().stream().map(k -> "t." + Sql.quote(k) + " = s." + Sql.quote(k) + "::" + columnTypes.get(k))
                .collect(Collectors.joining(" AND "));
    }

    /**
     * The SET list of an upsert: every column from {@code from} ({@code "s."} or {@code "EXCLUDED."}), the metadata's
     * ({@code ingestedAt}, now, the batch's position). The key's columns too: a key PostgreSQL holds equal may come
     * written another way ({@code 19.50} for {@code 19.5}, {@code -0} for {@code 0}), which the row then takes, as the
     * source's did (the same bytes leave an update HOT).
     */
    private String updateList(List<String> names, String from, String ingestedAt) {
        List<String> set = new ArrayList<>();
        for (String name : names) {
            set.add(Sql.quote(name) + " = " + from + Sql.quote(name));
        }
        set.add(Sql.quote(Metadata.INGESTED_AT) + " = " + ingestedAt);
        set.add(Sql.quote(Metadata.LOADED_AT) + " = now()");
        set.add(Sql.quote(Metadata.POSITION) + " = " + table.batch().position());
        return String.join(", ", set);
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
