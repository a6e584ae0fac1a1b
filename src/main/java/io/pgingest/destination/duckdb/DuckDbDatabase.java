package io.pgingest.destination.duckdb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.duckdb.DuckDBConnection;

/**
 * The one DuckDB database instance this process holds per file. DuckDB locks a database file
 * for one process, and two instances of the same file in one process would not see each
 * other's writes consistently, so every writer of a file shares the instance: it takes a
 * {@link #duplicate() duplicated connection} and writes under {@link #writeLock()}.
 * Reference-counted: the instance closes when its last user {@link #release() releases} it.
 */
public final class DuckDbDatabase {

    private static final Map<Path, DuckDbDatabase> OPEN = new HashMap<>();

    private final Path file;
    private final DuckDBConnection root;
    private final ReentrantLock writeLock = new ReentrantLock();
    private int users;

    private DuckDbDatabase(Path file, DuckDBConnection root) {
        this.file = file;
        this.root = root;
    }

    /** The shared instance of {@code file}, opened (and the file and its directories created) on first use. */
    public static DuckDbDatabase acquire(Path file) throws SQLException {
        Path key = file.toAbsolutePath().normalize();
        synchronized (OPEN) {
            DuckDbDatabase database = OPEN.get(key);
            if (database == null) {
                database = new DuckDbDatabase(key, open(key));
                OPEN.put(key, database);
            }
            database.users++;
            return database;
        }
    }

    private static DuckDBConnection open(Path file) throws SQLException {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
        } catch (IOException e) {
            throw new SQLException("cannot create directory " + file.getParent() + " for DuckDB file " + file
                    + ": " + e.getMessage(), e);
        }
        try {
            return (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:" + file);
        } catch (SQLException e) {
            throw new SQLException("cannot open DuckDB file " + file + ": " + e.getMessage()
                    + " (is another process using it? DuckDB allows one writing process per file)", e);
        }
    }

    /** A new connection to this instance; the caller closes it. */
    public DuckDBConnection duplicate() throws SQLException {
        return root.duplicate();
    }

    /** Held while writing a batch: DuckDB commits conflicting concurrent transactions by aborting one. */
    public ReentrantLock writeLock() {
        return writeLock;
    }

    public Path file() {
        return file;
    }

    /** Gives up one use; the last release closes the instance. */
    public void release() throws SQLException {
        synchronized (OPEN) {
            if (--users > 0) {
                return;
            }
            OPEN.remove(file);
        }
        root.close();
    }
}
