package io.pgingest.destination.duckdb;

import io.pgingest.destination.BatchTable;
import io.pgingest.destination.DestinationWriter;
import io.pgingest.event.RowBatch;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.duckdb.DuckDBConnection;

/**
 * Writes batches into a DuckDB file, one transaction per batch: the rows go through the DuckDB
 * appender into a temporary staging table, then an upsert by the key (the rows of the batch's keys
 * deleted and the batch's inserted, or a {@code MERGE} when the batch has some of the columns; a row
 * newer by {@code _pgingest_position} is kept) or one
 * {@code INSERT ... SELECT} (append, {@code _pgingest_id} from a sequence) applies them; the
 * historical load of a table it created is appended without an upsert
 * ({@link DuckDbBatchLoad#run}). Destination tables declare no PRIMARY KEY: the upsert keeps keys
 * unique (see docs/destinations.md for why). Thread-safe: all writers of one file share one
 * database instance ({@link DuckDbDatabase}) and write one batch at a time.
 */
public final class DuckDbWriter implements DestinationWriter {

    /**
     * The WAL size at which DuckDB checkpoints, unless the endpoint says otherwise. With DuckDB's own default, 16 MB,
     * nearly every commit of a backlog drain checkpoints (each rewrites the row groups the batches touched): twenty
     * 2,500-row merges into a 1M-row table took 1.8 s instead of 1.1 s at 64 MB. Larger is not better: at 1 GB a
     * 5M-row load (scripts/large-table-memory.sh) took 48-52 s instead of 39-41 s and its process 1.8 GB of memory
     * instead of 1.0-1.1 GB, the WAL's rows being held until the checkpoint (bench/README.md). A checkpoint also
     * runs when the file is closed; after a crash DuckDB replays the WAL on the next open.
     */
    public static final String DEFAULT_CHECKPOINT_THRESHOLD = "64MB";
    private static final Pattern SIZE = Pattern.compile("\\d+(\\.\\d+)?\\s*([KMGT]i?B|B)?", Pattern.CASE_INSENSITIVE);

    private final DuckDbDatabase database;
    private final DuckDBConnection connection;
    /** Upsert tables created by a historical load still running, whose rows are inserted without a merge. */
    private final Set<String> loadingTables = new HashSet<>();

    /**
     * How many threads DuckDB works with unless the endpoint says otherwise: one fewer than the machine's processors
     * (at least one). A logical-replication pipeline decodes changes on another thread while DuckDB merges the
     * previous batch; with DuckDB's own default, every processor, its workers compete with that thread. On two
     * processors (one DuckDB thread instead of two), five alternated (A) drains (1M changes) were each faster, by
     * 0.5-2.1 s of 12-15.6 s; (B) drains (50k small transactions) and a 1M-row historical load took as long, within
     * the noise (bench/README.md, fifteenth session).
     */
    public static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
    }

    /** Opens (or creates, with its directories) the DuckDB file {@code file}, checkpointing at {@link #DEFAULT_CHECKPOINT_THRESHOLD}. */
    public DuckDbWriter(Path file) throws SQLException {
        this(file, DEFAULT_CHECKPOINT_THRESHOLD);
    }

    /** As {@link #DuckDbWriter(Path, String, int)} with {@link #defaultThreads()}. */
    public DuckDbWriter(Path file, String checkpointThreshold) throws SQLException {
        this(file, checkpointThreshold, defaultThreads());
    }

    /**
     * Opens (or creates, with its directories) the DuckDB file {@code file}; DuckDB checkpoints once its WAL holds
     * {@code checkpointThreshold} (a size such as {@code 16MB} or {@code 1GB}: see {@link #checkSize}). The
     * threshold is a setting of the file's database instance, shared by every writer of the file in this process:
     * the last writer opened sets it. So is {@code threads}, how many threads DuckDB works with (at least 1).
     */
    public DuckDbWriter(Path file, String checkpointThreshold, int threads) throws SQLException {
        String threshold = checkSize(checkpointThreshold);
        if (threads < 1) {
            throw new IllegalArgumentException("DuckDB threads must be at least 1, not " + threads);
        }
        this.database = DuckDbDatabase.acquire(file);
        try {
            this.connection = database.duplicate();
            try (Statement s = connection.createStatement()) {
                s.execute("SET TimeZone = 'UTC'");
                s.execute("SET checkpoint_threshold = '" + threshold + "'");
                s.execute("SET threads = " + threads);
            }
            connection.setAutoCommit(false);
        } catch (SQLException e) {
            database.release();
            throw e;
        }
    }

    /**
     * Writes the batch in one transaction. The table's columns come from what the writers of the file last
     * committed ({@link DuckDbDatabase#columns}); should the batch fail with them (the table changed through
     * another connection), it is rolled back and tried once more with the table looked up in DuckDB's catalog.
     */
    @Override
    public void write(RowBatch batch) throws Exception {
        BatchTable table = BatchTable.of(batch);
        database.writeLock().lock();
        try {
            Map<String, String> known = database.columns(table.name(), connection);
            try {
                writeOnce(table, known);
            } catch (Exception e) {
                // the table as the writers know it (or known absent) may not be the table as it is: looked up once more
                writeOnce(table, null);
            }
        } finally {
            database.writeLock().unlock();
        }
    }

    private void writeOnce(BatchTable table, Map<String, String> known) throws Exception {
        try {
            DuckDbBatchLoad load = new DuckDbBatchLoad(connection, table, known, database.pageDirectory());
            boolean loading = load.run(loadingTables.contains(table.name()));
            Map<String, String> columns = load.columns(); // in the batch's transaction: the table as it commits
            connection.commit();
            database.rememberColumns(table.name(), columns);
            if (loading) {
                loadingTables.add(table.name());
            } else {
                loadingTables.remove(table.name());
            }
        } catch (Exception e) {
            database.forgetColumns();
            connection.rollback();
            throw e;
        }
    }

    /**
     * Returns {@code size} trimmed when it is a size DuckDB reads (digits, optionally a fraction, then B, KB, MB,
     * GB, TB or KiB, MiB, GiB, TiB); otherwise fails saying what is wrong.
     */
    public static String checkSize(String size) {
        if (size == null || !SIZE.matcher(size.trim()).matches()) {
            throw new IllegalArgumentException("checkpointThreshold '" + size + "' is not a size: write a number and a "
                    + "unit, e.g. 16MB or 1GB (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)");
        }
        return size.trim();
    }

    /** The shared instance this writer writes to (e.g. to read back through a duplicated connection). */
    public DuckDbDatabase database() {
        return database;
    }

    @Override
    public void close() throws SQLException {
        database.writeLock().lock();
        try {
            connection.close();
        } finally {
            database.writeLock().unlock();
            database.release();
        }
    }

    @Override
    public String toString() {
        return "DuckDbWriter[" + database.file() + "]";
    }
}
