package io.pgingest.source.logical;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
import io.pgingest.event.LogicalType;
import io.pgingest.event.Metadata;
import io.pgingest.event.RowBatch;
import io.pgingest.event.WriteMode;
import io.pgingest.mapping.BinaryReaders;
import io.pgingest.mapping.TypeMapping;
import io.pgingest.pipeline.QueryMode;
import io.pgingest.source.BatchSink;
import io.pgingest.source.table.CopyPages;
import io.pgingest.source.table.TableQuery;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Re-loads the values of columns added to a streamed table for all its existing rows: a column added
 * with a DEFAULT (or a generated one) changes those rows without any WAL entry, so the stream never
 * brings their values. Reads (key, added columns) in keyset pages with table mode's Full Load query
 * (by binary COPY when every column has a binary reader, as table mode reads its pages: {@link CopyPages})
 * and sends each page as an UPSERT batch holding only those columns (writers update only the columns
 * present in a batch). The pages carry the stream's current position: every change streamed later has
 * at least that position and wins, and since every change committed after the column was added is in
 * the stream, each row ends with its current value. Tables without a key cannot be re-loaded.
 */
record ColumnReload(LogicalTable table, List<Column> added, boolean wholeRow) {

    /**
     * The load of a whole table added while streaming: every column plus {@code _pgingest_deleted = false},
     * as the snapshot writes it. A table without key is read in one statement and written as one run
     * ({@link WriteMode#REPLACE_RUN}): when the last rows are written, the destination drops the table's rows
     * written before this load (lower positions), so a load interrupted by a crash and done again from the
     * start leaves no duplicate.
     */
    static ColumnReload wholeTable(LogicalTable table) {
        return new ColumnReload(table, table.columns().stream().filter(c -> !table.keys().contains(c.name())).toList(), true);
    }

    /** Reads and sends the pages; returns the number of rows re-loaded. */
    long run(Connection c, String pipeline, BatchSink sink, long position, int pageSize) throws Exception {
        return run(c, pipeline, sink, position, pageSize, null);
    }

    /**
     * Reads and sends the pages; returns the number of rows re-loaded. With {@code snapshot} (a table without key, on a
     * connection in auto-commit), the rows are read in a repeatable-read transaction whose snapshot is given to it
     * first ({@link LoadSnapshot}).
     */
    long run(Connection c, String pipeline, BatchSink sink, long position, int pageSize,
             java.util.function.Consumer<LoadSnapshot> snapshot) throws Exception {
        TableInfo info = table.info();
        List<Column> raw = new ArrayList<>();
        List<Column> resolved = new ArrayList<>();
        for (String k : table.keys()) {
            raw.add(info.column(k));
        }
        for (Column a : added) {
            raw.add(info.column(a.name()));
        }
        for (Column r : raw) {
            resolved.add(TypeMapping.resolve(r));
        }
        TableInfo narrowed = new TableInfo(info.table(), info.oid(), info.partitioned(), info.unlogged(), raw,
                info.keyColumns(), info.primaryKey(), info.estimatedRows(), info.deferrableKey());
        TableQuery query = TableQuery.of(narrowed, resolved, QueryMode.FULL_LOAD);
        List<TypeMapping.ValueReader> readers = resolved.stream().map(TypeMapping::reader).toList();
        List<Column> written = new ArrayList<>(resolved);
        if (wholeRow) {
            written.add(Metadata.DELETED_COLUMN);
        }
        if (table.keys().isEmpty() && snapshot != null) {
            return inSnapshot(c, snapshot, () -> readUnkeyed(c, query, readers, written, pipeline, sink, position, pageSize));
        }
        if (table.keys().isEmpty()) {
            return readUnkeyed(c, query, readers, written, pipeline, sink, position, pageSize);
        }
        // pages read by binary COPY (rows kept in the server's form: see CopyPages) when every column has a binary
        // reader and no deleted flag is added; else through result sets
        BinaryReaders.Readers binary = wholeRow ? null : BinaryReaders.of(resolved);
        List<String> lower = List.of();
        long rows = 0;
        while (true) {
            List<Object[]> page;
            List<String> last;
            List<Object> params = query.pageParameters(lower, List.of(), pageSize);
            if (binary != null) {
                CopyPages.Page read = CopyPages.read(c, query.pageSql(!lower.isEmpty()), params, binary,
                        query.cursorColumnCount());
                page = read.rows();
                last = read.lastCursor();
            } else {
                page = new ArrayList<>();
                last = readPage(c, query.pageSql(!lower.isEmpty()), params, readers, written.size(), query.cursorColumnCount(), page);
            }
            if (page.isEmpty()) {
                return rows;
            }
            sink.accept(batch(pipeline, written, page, position, false));
            rows += page.size();
            if (page.size() < pageSize) {
                return rows;
            }
            lower = last;
        }
    }

    /** Reads one page through a result set into {@code page}; returns its last row's cursor texts (empty when none). */
    private static List<String> readPage(Connection c, String sql, List<Object> params, List<TypeMapping.ValueReader> readers,
                                         int width, int cursorColumns, List<Object[]> page) throws SQLException {
        List<String> last = List.of();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.size(); i++) {
                ps.setObject(i + 1, params.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    page.add(read(rs, readers, width));
                    List<String> cursor = new ArrayList<>(cursorColumns);
                    for (int i = 0; i < cursorColumns; i++) {
                        cursor.add(rs.getString(readers.size() + i + 1));
                    }
                    last = cursor;
                }
            }
        }
        return last;
    }

    /** A row of the result set: the readers' values, then {@code false} for the deleted flag when there is room. */
    private static Object[] read(ResultSet rs, List<TypeMapping.ValueReader> readers, int width) throws SQLException {
        Object[] row = new Object[width];
        for (int i = 0; i < readers.size(); i++) {
            row[i] = readers.get(i).read(rs, i + 1);
        }
        if (width > readers.size()) {
            row[readers.size()] = false;
        }
        return row;
    }

    private RowBatch batch(String pipeline, List<Column> written, List<Object[]> rows, long position, boolean endOfRun) {
        WriteMode mode = !table.keys().isEmpty() ? WriteMode.UPSERT : wholeRow ? WriteMode.REPLACE_RUN : WriteMode.APPEND;
        return new RowBatch(pipeline, table.info().table(), null, written, table.keys(), rows, LoadKind.HISTORICAL,
                mode, position, Instant.now(), Map.of(), endOfRun);
    }

    /** A read of the rows. */
    private interface Read {
        long run() throws Exception;
    }

    /**
     * Runs {@code read} in one repeatable-read transaction (rolled back after: it only reads), giving {@code snapshot}
     * that transaction's snapshot first: the rows read are exactly the changes of the transactions it sees.
     */
    private static long inSnapshot(Connection c, java.util.function.Consumer<LoadSnapshot> snapshot, Read read) throws Exception {
        int isolation = c.getTransactionIsolation();
        boolean autoCommit = c.getAutoCommit();
        if (!autoCommit) {
            c.rollback(); // nothing of the caller's is open: its work is committed before a load
        }
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try {
            try (java.sql.Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT txid_current_snapshot()::text")) {
                rs.next();
                snapshot.accept(LoadSnapshot.parse(rs.getString(1)));
            }
            return read.run();
        } finally {
            c.rollback();
            c.setTransactionIsolation(isolation);
            c.setAutoCommit(autoCommit);
        }
    }

    /**
     * A table without key has no page boundary: one statement, sent in chunks, the last one ending the run. A binary
     * COPY stream when every column has a binary reader ({@link CopyPages#stream}), else a server-side cursor.
     */
    private long readUnkeyed(Connection c, TableQuery query, List<TypeMapping.ValueReader> readers, List<Column> written,
                             String pipeline, BatchSink sink, long position, int pageSize) throws Exception {
        BinaryReaders.Readers binary = wholeRow ? BinaryReaders.of(binaryColumns(written)) : null;
        if (binary != null) {
            // one binary COPY stream (rows kept in the server's form: see CopyPages), the deleted flag selected with them
            long[] rows = {0};
            CopyPages.stream(c, "SELECT q.*, false FROM (" + query.pageSql(false) + ") AS q", binary, pageSize, Long.MAX_VALUE,
                    (page, last) -> {
                        sink.accept(batch(pipeline, written, page, position, last));
                        rows[0] += page.size();
                    });
            return rows[0];
        }
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false); // PostgreSQL's driver streams with a fetch size only inside a transaction
        long rows = 0;
        try (PreparedStatement ps = c.prepareStatement(query.pageSql(false))) {
            ps.setFetchSize(pageSize);
            try (ResultSet rs = ps.executeQuery()) {
                List<Object[]> chunk = new ArrayList<>();
                while (rs.next()) {
                    chunk.add(read(rs, readers, written.size()));
                    if (chunk.size() == pageSize) {
                        sink.accept(batch(pipeline, written, chunk, position, false));
                        rows += chunk.size();
                        chunk = new ArrayList<>();
                    }
                }
                // the last chunk (maybe empty) ends the run: the destination drops the rows of earlier loads now
                sink.accept(batch(pipeline, written, chunk, position, true));
                rows += chunk.size();
            }
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
        return rows;
    }

    /** The written columns as the COPY selects them: the deleted flag as the boolean it is. */
    private static List<Column> binaryColumns(List<Column> written) {
        return written.stream().map(col -> col.name().equals(Metadata.DELETED)
                ? new Column(Metadata.DELETED, "boolean", LogicalType.BOOLEAN, -1, -1, false) : col).toList();
    }

    /** The names of the columns of {@code oid} among {@code names} whose existing rows may hold non-null values. */
    static List<String> withValues(Connection c, long oid, List<String> names) throws SQLException {
        String sql = "SELECT attname FROM pg_attribute WHERE attrelid = ?::oid AND attnum > 0 AND NOT attisdropped"
                + " AND (atthasdef OR atthasmissing) AND attname = ANY(?)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, oid);
            ps.setArray(2, c.createArrayOf("text", names.toArray()));
            List<String> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        }
    }
}
