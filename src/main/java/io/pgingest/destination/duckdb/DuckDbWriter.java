package io.pgingest.destination.duckdb;

import io.pgingest.destination.BatchTable;
import io.pgingest.destination.DestinationWriter;
import io.pgingest.event.RowBatch;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import org.duckdb.DuckDBConnection;

/**
 * Writes batches into a DuckDB file, one transaction per batch: the rows go through the DuckDB
 * appender into a temporary staging table, then one {@code MERGE} (upsert by the key, guarded by
 * {@code _pgingest_position}) or one {@code INSERT ... SELECT} (append, {@code _pgingest_id} from
 * a sequence) applies them; the historical load of a table it created is appended without a merge
 * ({@link DuckDbBatchLoad#run}). Destination tables declare no PRIMARY KEY: the merge keeps keys
 * unique (see docs/destinations.md for why). Thread-safe: all writers of one file share one
 * database instance ({@link DuckDbDatabase}) and write one batch at a time.
 */
public final class DuckDbWriter implements DestinationWriter {

    private final DuckDbDatabase database;
    private final DuckDBConnection connection;
    /** Upsert tables created by a historical load still running, whose rows are inserted without a merge. */
    private final Set<String> loadingTables = new HashSet<>();

    /** Opens (or creates, with its directories) the DuckDB file {@code file}. */
    public DuckDbWriter(Path file) throws SQLException {
        this.database = DuckDbDatabase.acquire(file);
        try {
            this.connection = database.duplicate();
            try (Statement s = connection.createStatement()) {
                s.execute("SET TimeZone = 'UTC'");
            }
            connection.setAutoCommit(false);
        } catch (SQLException e) {
            database.release();
            throw e;
        }
    }

    @Override
    public void write(RowBatch batch) throws Exception {
        BatchTable table = BatchTable.of(batch);
        database.writeLock().lock();
        try {
            boolean loading = new DuckDbBatchLoad(connection, table).run(loadingTables.contains(table.name()));
            connection.commit();
            if (loading) {
                loadingTables.add(table.name());
            } else {
                loadingTables.remove(table.name());
            }
        } catch (Exception e) {
            connection.rollback();
            throw e;
        } finally {
            database.writeLock().unlock();
        }
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
