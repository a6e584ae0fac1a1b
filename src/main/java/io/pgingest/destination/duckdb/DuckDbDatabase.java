package io.pgingest.destination.duckdb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
    /** Columns (name to DuckDB type, in table order) of the tables the writers committed, by table; see {@link #columns}. */
    private final Map<String, Map<String, String>> columns = new HashMap<>();
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
                database.removePageFiles();
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
            // Files.createDirectories names only the path (a FileAlreadyExistsException when a part of it is a file)
            Path blocking = file.getParent();
            while (blocking != null && !Files.exists(blocking)) {
                blocking = blocking.getParent();
            }
            String why = blocking != null && !Files.isDirectory(blocking) ? blocking + " is a file, not a directory"
                    : e.getClass().getSimpleName() + ": " + e.getMessage();
            throw new SQLException("cannot create directory " + file.getParent() + " for DuckDB file " + file + ": " + why
                    + "; fix: give the destination a path in a directory pg-ingest may create or write", e);
        }
        try {
            return (DuckDBConnection) DuckDbNative.connect("jdbc:duckdb:" + file);
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

    /**
     * The columns of {@code table} as the writers of this instance last committed them, or as the catalog had them when
     * it was read; an empty map when the table was not in it (taken for absent). Looking them up in DuckDB's catalog
     * before every batch cost about 4 ms per table and batch (a tenth of a backlog drain's writing into DuckDB); the
     * writers keep this instead. Only writers change destination tables, under {@link #writeLock()}. Should a table
     * change otherwise (created, dropped or altered through another connection), the batch written with the stale
     * columns fails, the writer {@link #forgetColumns forgets} them all and writes the batch once more with the table
     * looked up. Call under {@link #writeLock()}.
     * <p>The first lookup reads every table of schema {@code main} in one query ({@link #loadColumns}): DuckDB lists
     * columns by scanning its whole catalog, so one query per table cost a first load of 400 small tables a third of
     * its writing time.
     */
    Map<String, String> columns(String table, java.sql.Connection connection) throws SQLException {
        Map<String, String> known = columns.get(table);
        if (known != null) {
            return known;
        }
        if (!catalogLoaded) {
            loadColumns(connection);
            known = columns.get(table);
        }
        return known != null ? known : Map.of();
    }

    /** Whether {@link #columns} holds every table of schema main (since the last {@link #forgetColumns}). */
    private boolean catalogLoaded;

    private void loadColumns(java.sql.Connection connection) throws SQLException {
        String sql = "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = current_database()"
                + " AND schema_name = 'main' ORDER BY table_name, column_index";
        Map<String, Map<String, String>> all = new HashMap<>();
        try (java.sql.Statement s = connection.createStatement(); java.sql.ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                all.computeIfAbsent(rs.getString(1), t -> new LinkedHashMap<>()).put(rs.getString(2), rs.getString(3));
            }
        }
        all.forEach(this::rememberColumns);
        catalogLoaded = true;
    }

    /**
     * Remembers the columns of {@code table} after a commit, or forgets them when {@code tableColumns} is null (then the
     * whole catalog is read again at the next lookup of a table not remembered). Call under {@link #writeLock()}.
     */
    void rememberColumns(String table, Map<String, String> tableColumns) {
        if (tableColumns == null) {
            columns.remove(table);
            catalogLoaded = false;
            return;
        }
        columns.put(table, Collections.unmodifiableMap(new LinkedHashMap<>(tableColumns)));
    }

    /** Forgets every table's columns (a batch failed: the catalog may differ). Call under {@link #writeLock()}. */
    void forgetColumns() {
        columns.clear();
        catalogLoaded = false;
    }

    public Path file() {
        return file;
    }

    /**
     * Where the writers put the temporary CSV files of pages ({@link CsvPage}): beside the DuckDB file, which one
     * process at a time writes, so that files a killed process left are this process's to remove (when it opens the
     * file; the empty directory goes at the close). Created when the first page is written.
     */
    Path pageDirectory() {
        return file.resolveSibling(file.getFileName() + PAGE_DIRECTORY_SUFFIX);
    }

    static final String PAGE_DIRECTORY_SUFFIX = ".pgingest-pages";

    /**
     * Removes the page directory and any file left in it, at the open (under the lock of {@link #acquire}); a failure is
     * logged, not thrown (only disk space is at stake).
     */
    private void removePageFiles() {
        Path directory = pageDirectory();
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (java.util.stream.Stream<Path> files = Files.list(directory)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(DuckDbDatabase.class).warn("could not remove the temporary page files in {}: {}",
                    directory, e.toString());
        }
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
        removeEmptyPageDirectory();
    }

    /**
     * Removes the page directory when it is empty (its pages are deleted after each batch). Files in it are left alone:
     * an instance of the same file opened again meanwhile may be writing one.
     */
    private void removeEmptyPageDirectory() {
        try {
            Files.deleteIfExists(pageDirectory());
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            // removed at the next open
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(DuckDbDatabase.class).debug("could not remove {}: {}", pageDirectory(), e.toString());
        }
    }
}
