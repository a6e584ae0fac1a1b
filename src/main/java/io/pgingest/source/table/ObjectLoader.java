package io.pgingest.source.table;

import io.pgingest.event.Column;
import io.pgingest.event.CopyRows;
import io.pgingest.event.LoadKind;
import io.pgingest.event.RowBatch;
import io.pgingest.mapping.BinaryReaders;
import io.pgingest.mapping.TypeMapping;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.BatchSink;
import io.pgingest.source.table.CopyPages.Page;
import io.pgingest.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs one object's load for one run: reads pages with its {@link TableQuery}, hands each
 * page to the sink, and saves the cursor only after the sink returned (the destination has
 * committed the page). A crash therefore replays at most the page in flight, which the
 * destination applies idempotently.
 */
final class ObjectLoader {

    private static final Logger LOG = LoggerFactory.getLogger(ObjectLoader.class);

    /** What one object run did. */
    record Outcome(long rows, boolean limitReached, String deferredReason) {
    }

    private final PipelineSettings settings;
    private final Connection connection;
    private final StateStore state;
    private final BatchSink sink;
    private int pageSize;
    /** Set by {@link #loadForStream}: where the cursor is kept, the rows' position and constant columns. */
    private String cursorKey;
    private long fixedPosition;
    private Map<String, Object> constants = Map.of();

    ObjectLoader(PipelineSettings settings, Connection connection, StateStore state, BatchSink sink) {
        this.settings = settings;
        this.connection = connection;
        this.state = state;
        this.sink = sink;
    }

    /**
     * Runs the object's load. {@code pageSize} rows go in one page (one destination transaction);
     * see {@link TableSource#pageSize} for why historical loads may use larger pages.
     */
    Outcome load(TableQuery query, LoadKind kind, long estimatedRows, int pageSize) throws Exception {
        this.pageSize = pageSize;
        String object = query.source().display();
        String what = "pipeline " + settings.name() + ": " + object + (kind == LoadKind.HISTORICAL ? " historical load"
                : query.fullLoad() ? " full load" : " incremental run");
        ProgressLog progress = new ProgressLog(what, query.fullLoad() || kind == LoadKind.HISTORICAL ? estimatedRows : 0);
        Outcome outcome;
        if (query instanceof FullLoadQuery full && !full.keyed()) {
            outcome = streamWholeTable(full, kind, progress);
        } else if (query.fullLoad()) {
            outcome = pageFullLoad(query, kind, progress);
        } else if (kind == LoadKind.HISTORICAL && query.keyed()) {
            outcome = historicalByKey(query, progress);
        } else {
            outcome = pageIncremental(query, kind, progress);
        }
        LOG.info("{}: {}{}", what, progress.summary(), outcome.deferredReason() == null ? "" : "; " + outcome.deferredReason());
        return outcome;
    }

    /**
     * The historical load of a keyed table for a log-based pipeline: the Full Load pages of {@code query}
     * (key order, resumable: the cursor is saved under {@code cursorKey} after every page the destination
     * committed) as HISTORICAL batches whose rows carry {@code position} (or, when the load resumes, the
     * position it started with) and the {@code constants}. Ends with the end-of-run batch.
     */
    Outcome loadForStream(FullLoadQuery query, String cursorKey, long position, Map<String, Object> constants,
                          long estimatedRows, int pageSize) throws Exception {
        this.cursorKey = cursorKey;
        this.fixedPosition = position;
        this.constants = Map.copyOf(constants);
        try {
            return load(query, LoadKind.HISTORICAL, estimatedRows, pageSize);
        } finally {
            this.cursorKey = null;
            this.fixedPosition = 0;
            this.constants = Map.of();
        }
    }

    private Outcome pageFullLoad(TableQuery query, LoadKind kind, ProgressLog progress) throws Exception {
        String object = cursorKey != null ? cursorKey : query.source().display();
        Cursor cursor = state.cursor(settings.name(), object).map(Cursor::decode).orElse(null);
        long run = cursor != null && cursor.run() > 0 ? cursor.run() : fixedPosition > 0 ? fixedPosition : nowMicros();
        List<String> lower = cursor == null ? List.of() : cursor.values();
        boolean limitReached = false;
        // the ingestion limit is table mode's; a log-based pipeline's load reads every row
        long limit = cursorKey != null ? Long.MAX_VALUE : settings.fullLoadLimit();
        try (PageAhead pages = new PageAhead(this, query, List.of(), pageSize, limit)) {
            pages.start(lower);
            Page page;
            while (!(page = pages.next()).rows().isEmpty()) {
                send(query, page.rows(), kind, run, false);
                lower = page.lastCursor();
                state.saveCursor(settings.name(), object, Cursor.of(run, lower).encode());
                progress.add(page.rows().size());
            }
            limitReached = progress.rows() >= limit && hasMoreAfter(query, lower);
        }
        if (kind == LoadKind.HISTORICAL) {
            sink.accept(batch(query, List.of(), kind, run, true));
        }
        state.deleteCursor(settings.name(), object);
        return new Outcome(progress.rows(), limitReached, null);
    }

    /**
     * The historical load of an incremental mode on a keyed table: the mode's ceiling is taken
     * first (waiting for open transactions, as every incremental poll does), then every row is
     * read in key order (fast, whatever the ties on the cursor column, and rows whose cursor
     * column is NULL included), and the cursor continues from the ceiling. A row changed during
     * the load gets a cursor value above the ceiling and is read again by the next run.
     */
    private Outcome historicalByKey(TableQuery query, ProgressLog progress) throws Exception {
        String object = query.source().display();
        Cursor cursor = state.cursor(settings.name(), object).map(Cursor::decode).orElse(null);
        long run;
        List<String> lower;
        List<String> ceiling;
        if (cursor != null && !cursor.ceiling().isEmpty()) {
            run = cursor.run();
            lower = cursor.values();
            ceiling = cursor.ceiling();
        } else {
            run = nowMicros();
            lower = List.of();
            Ceiling c = ceiling(query, List.of());
            if (c.deferredReason() != null) {
                return new Outcome(0, false, c.deferredReason());
            }
            ceiling = c.values();
        }
        FullLoadQuery byKey = query.byKey();
        try (PageAhead pages = new PageAhead(this, byKey, List.of(), pageSize, Long.MAX_VALUE)) {
            pages.start(lower);
            Page page;
            while (!(page = pages.next()).rows().isEmpty()) {
                send(query, page.rows(), LoadKind.HISTORICAL, run, false);
                lower = page.lastCursor();
                state.saveCursor(settings.name(), object, new Cursor(run, lower, ceiling.isEmpty() ? NO_ROWS : ceiling).encode());
                progress.add(page.rows().size());
            }
        }
        // The end of the historical load: a destination may finish its bulk path (e.g. build the key).
        sink.accept(batch(query, List.of(), LoadKind.HISTORICAL, run, true));
        if (ceiling.isEmpty() || ceiling.equals(NO_ROWS)) {
            state.deleteCursor(settings.name(), object);
        } else {
            state.saveCursor(settings.name(), object, Cursor.of(0, ceiling).encode());
        }
        return new Outcome(progress.rows(), false, null);
    }

    /** Marks a historical load that found no cursor value: the next run starts from the beginning. */
    private static final List<String> NO_ROWS = List.of("");

    private record Ceiling(List<String> values, String deferredReason) {
    }

    /**
     * The highest cursor tuple after {@code lower} in the current snapshot (empty when there is
     * none), once the transactions open at that moment have ended.
     */
    private Ceiling ceiling(TableQuery query, List<String> lower) throws SQLException, InterruptedException {
        List<String> ceiling = new ArrayList<>();
        Array openXids;
        try (PreparedStatement ps = connection.prepareStatement(query.ceilingSql(!lower.isEmpty()))) {
            bind(ps, new ArrayList<>(lower));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new Ceiling(List.of(), null);
                }
                for (int i = 1; i <= query.cursorColumnCount(); i++) {
                    ceiling.add(rs.getString(i));
                }
                openXids = rs.getArray(query.cursorColumnCount() + 1);
            }
        }
        // after the ceiling: every transaction open when it was read and not ended since (and perhaps newer ones)
        String[] openVxids = LateCommitGuard.openVirtualTransactions(connection);
        if (!LateCommitGuard.awaitEnded(connection, openXids, openVxids, settings.lateCommitWait())) {
            String reason = "transactions open since the poll began did not end within "
                    + settings.lateCommitWait().toSeconds() + " s; the cursor stays at its position and the next run retries";
            LOG.warn("pipeline {}: {}: {}", settings.name(), query.source().display(), reason);
            return new Ceiling(List.of(), reason);
        }
        return new Ceiling(ceiling, null);
    }

    private Outcome streamWholeTable(FullLoadQuery query, LoadKind kind, ProgressLog progress) throws Exception {
        BinaryReaders.Readers binary = BinaryReaders.of(query.columns());
        if (binary != null) {
            return copyWholeTable(query, kind, progress, binary);
        }
        long run = nowMicros();
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        boolean limitReached = false;
        try (PreparedStatement ps = connection.prepareStatement(query.pageSql(false))) {
            ps.setFetchSize(pageSize);
            try (ResultSet rs = ps.executeQuery()) {
                RowReader reader = new RowReader(query.columns(), 0);
                List<Object[]> rows = new ArrayList<>(pageSize);
                while (rs.next()) {
                    if (progress.rows() + rows.size() >= settings.fullLoadLimit()) {
                        limitReached = true;
                        break;
                    }
                    rows.add(reader.read(rs));
                    if (rows.size() == pageSize) {
                        sink.accept(batch(query, rows, kind, run, false));
                        progress.add(rows.size());
                        rows = new ArrayList<>(pageSize);
                    }
                }
                // The last batch ends the run: the destination drops earlier runs' rows only now.
                sink.accept(batch(query, rows, kind, run, true));
                progress.add(rows.size());
            }
        } finally {
            connection.rollback();
            connection.setAutoCommit(autoCommit);
        }
        return new Outcome(progress.rows(), limitReached, null);
    }

    /**
     * {@link #streamWholeTable} as one binary COPY stream ({@link CopyPages#stream}) cut into batches of {@code pageSize}
     * rows kept in binary form, decoded on this thread once the destination is seen to decode them.
     */
    private Outcome copyWholeTable(FullLoadQuery query, LoadKind kind, ProgressLog progress, BinaryReaders.Readers binary)
            throws Exception {
        long run = nowMicros();
        boolean limitReached = CopyPages.stream(connection, query.pageSql(false), binary, pageSize, settings.fullLoadLimit(),
                (rows, last) -> {
                    decodeAhead(rows);
                    send(query, rows, kind, run, last); // the last batch ends the run
                    progress.add(rows.size());
                });
        return new Outcome(progress.rows(), limitReached, null);
    }

    private Outcome pageIncremental(TableQuery query, LoadKind kind, ProgressLog progress) throws Exception {
        String object = query.source().display();
        List<String> lower = state.cursor(settings.name(), object).map(Cursor::decode).map(Cursor::values).orElse(List.of());
        long position = nowMicros();
        Ceiling c = ceiling(query, lower);
        if (c.deferredReason() != null || c.values().isEmpty()) {
            return new Outcome(0, false, c.deferredReason());
        }
        List<String> ceiling = c.values();
        try (PageAhead pages = new PageAhead(this, query, ceiling, pageSize, Long.MAX_VALUE)) {
            pages.start(lower);
            Page page;
            while (!(page = pages.next()).rows().isEmpty()) {
                send(query, page.rows(), kind, position, false);
                lower = page.lastCursor();
                state.saveCursor(settings.name(), object, Cursor.of(0, lower).encode());
                progress.add(page.rows().size());
            }
        }
        return new Outcome(progress.rows(), false, null);
    }

    private boolean hasMoreAfter(TableQuery query, List<String> lower) throws SQLException {
        return !readPage(query, lower, List.of(), 1).rows().isEmpty();
    }

    /**
     * Rows a page's result is fetched in. Without a fetch size the driver holds a page's whole result
     * (its wire bytes, 100,000 rows for a historical page) next to the rows made of it, and the
     * garbage collector copies both from one young collection to the next: fetched in parts, a
     * 1M-row load needs half the collections (bench/full-load.sh: 35 to 16) and about 0.15 s less.
     */
    static final int FETCH_ROWS = 8_192;

    Page readPage(TableQuery query, List<String> lower, List<String> ceiling, int limit) throws SQLException {
        BinaryReaders.Readers binary = BinaryReaders.of(query.columns());
        if (binary != null) {
            Page page = CopyPages.read(connection, query.pageSql(!lower.isEmpty()), query.pageParameters(lower, ceiling, limit),
                    binary, query.cursorColumnCount());
            decodeAhead(page.rows()); // here, on the reading thread, while the destination writes the page before
            return page;
        }
        // The driver fetches in parts only inside a transaction; a page read outside one gets its own.
        boolean ownTransaction = limit > FETCH_ROWS && connection.getAutoCommit();
        if (ownTransaction) {
            connection.setAutoCommit(false);
        }
        boolean read = false;
        try (PreparedStatement ps = connection.prepareStatement(query.pageSql(!lower.isEmpty()))) {
            ps.setFetchSize(FETCH_ROWS);
            bind(ps, query.pageParameters(lower, ceiling, limit));
            try (ResultSet rs = ps.executeQuery()) {
                RowReader reader = new RowReader(query.columns(), query.cursorColumnCount());
                List<Object[]> rows = new ArrayList<>(Math.min(limit, 100_000));
                List<String> last = List.of();
                while (rs.next()) {
                    rows.add(reader.read(rs));
                    // on a block's last row the driver fetches the next block to answer: no extra round trip
                    if (rs.isLast()) {
                        last = reader.cursor(rs);
                    }
                }
                read = true;
                return new Page(rows, last);
            }
        } finally {
            if (ownTransaction) {
                endReadTransaction(read);
            }
        }
    }

    /** Back to autocommit (which ends the page's read-only transaction); after a failed read, without hiding its error. */
    private void endReadTransaction(boolean read) throws SQLException {
        try {
            connection.setAutoCommit(true);
        } catch (SQLException e) {
            if (read) {
                throw e;
            }
            LOG.debug("pipeline {}: ending the failed page read's transaction: {}", settings.name(), e.getMessage());
        }
    }

    private static void bind(PreparedStatement ps, List<Object> parameters) throws SQLException {
        for (int i = 0; i < parameters.size(); i++) {
            Object p = parameters.get(i);
            if (p instanceof Integer n) {
                ps.setInt(i + 1, n);
            } else {
                ps.setString(i + 1, (String) p);
            }
        }
    }

    /**
     * Whether the destination decoded the last page it was given in binary form (any destination but a PostgreSQL
     * one whose columns take the source's binary values as they are): the next pages are then decoded as they are read.
     */
    private volatile boolean sinkDecodes;

    /** Hands rows to the sink; notes whether the sink decoded them (rows in binary form). */
    private void send(TableQuery query, List<Object[]> rows, LoadKind kind, long position, boolean endOfRun) throws Exception {
        sink.accept(batch(query, rows, kind, position, endOfRun));
        sinkDecodes = rows instanceof CopyRows binary && binary.isDecoded();
    }

    /** Decodes rows in binary form now when the destination is seen to decode them ({@link #sinkDecodes}). */
    private void decodeAhead(List<Object[]> rows) {
        if (sinkDecodes && rows instanceof CopyRows binary) {
            binary.decode();
        }
    }

    private RowBatch batch(TableQuery query, List<Object[]> rows, LoadKind kind, long position, boolean endOfRun) {
        return new RowBatch(settings.name(), query.source(), null, query.columns(), query.keyColumns(), rows, kind,
                query.writeMode(), position, Instant.now(), constants, endOfRun);
    }

    static long nowMicros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }

    /** Reads rows with the per-column readers resolved once; cursor texts follow the columns. */
    private static final class RowReader {
        private final TypeMapping.ValueReader[] readers;
        private final int cursorColumns;

        RowReader(List<Column> columns, int cursorColumns) {
            this.readers = new TypeMapping.ValueReader[columns.size()];
            for (int i = 0; i < readers.length; i++) {
                readers[i] = TypeMapping.reader(columns.get(i));
            }
            this.cursorColumns = cursorColumns;
        }

        Object[] read(ResultSet rs) throws SQLException {
            Object[] row = new Object[readers.length];
            for (int i = 0; i < readers.length; i++) {
                row[i] = readers[i].read(rs, i + 1);
            }
            return row;
        }

        List<String> cursor(ResultSet rs) throws SQLException {
            List<String> values = new ArrayList<>(cursorColumns);
            for (int i = 0; i < cursorColumns; i++) {
                values.add(rs.getString(readers.length + 1 + i));
            }
            return values;
        }
    }
}
