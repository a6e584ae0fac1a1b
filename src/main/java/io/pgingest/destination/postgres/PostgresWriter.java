package io.pgingest.destination.postgres;

import io.pgingest.destination.BatchTable;
import io.pgingest.destination.DestinationWriter;
import io.pgingest.destination.Sql;
import io.pgingest.event.LoadKind;
import io.pgingest.event.RowBatch;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Deque;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes batches into tables of one schema of a PostgreSQL database, one transaction per batch:
 * {@code COPY} into a temporary staging table, then an {@code UPDATE} of the keys that exist and an
 * {@code INSERT} of the others (an upsert by the key, guarded by {@code _pgingest_position}); appends, and
 * historical batches whose keys are new, are copied straight into the table (see {@link PostgresBatchLoad#run}).
 * Thread-safe: batches of different tables are written in parallel on pooled connections; batches of the same
 * table are serialised so that their schema changes and merges do not race.
 */
public final class PostgresWriter implements DestinationWriter {

    private final String jdbcUrl;
    private final Properties credentials = new Properties();
    private final String schema;
    private final Deque<Connection> idle = new ConcurrentLinkedDeque<>();
    private final ConcurrentHashMap<String, ReentrantLock> tableLocks = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> directConflicts = new ConcurrentHashMap<>();
    private static final int MAX_DIRECT_CONFLICTS = 3;
    private volatile boolean closed;

    /** Connects once to check the settings and creates {@code schema} when it is missing. */
    public PostgresWriter(String jdbcUrl, String user, String password, String schema) throws SQLException {
        this.jdbcUrl = jdbcUrl;
        this.schema = schema;
        credentials.setProperty("user", user);
        if (password != null) {
            credentials.setProperty("password", password);
        }
        Connection connection = open();
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS " + Sql.quote(schema));
            connection.commit();
        } catch (SQLException e) {
            connection.close();
            throw new SQLException("cannot create schema " + schema + " in " + jdbcUrl + ": " + e.getMessage()
                    + " (grant CREATE on the database to user " + user + ", or create the schema first)", e);
        }
        idle.push(connection);
    }

    @Override
    public void write(RowBatch batch) throws Exception {
        BatchTable table = BatchTable.of(batch);
        ReentrantLock lock = tableLocks.computeIfAbsent(table.name(), name -> new ReentrantLock());
        lock.lock();
        try {
            writeLocked(table);
        } finally {
            lock.unlock();
        }
    }

    private void writeLocked(BatchTable table) throws Exception {
        Connection connection = borrow();
        try {
            // Historical batches are new rows unless replayed after a crash: copy them directly,
            // until a table's key conflicts show that its rows are not new.
            boolean tryDirect = table.batch().kind() == LoadKind.HISTORICAL
                    && directConflicts.getOrDefault(table.name(), 0) < MAX_DIRECT_CONFLICTS;
            boolean direct = new PostgresBatchLoad(connection, schema, table).run(tryDirect);
            connection.commit();
            if (tryDirect && !direct) {
                directConflicts.merge(table.name(), 1, Integer::sum);
            }
        } catch (Exception e) {
            discard(connection);
            throw e;
        }
        idle.push(connection);
        if (closed) {
            close();
        }
    }

    private Connection borrow() throws SQLException {
        if (closed) {
            throw new IllegalStateException("PostgresWriter for " + jdbcUrl + " is closed");
        }
        Connection connection = idle.poll();
        return connection != null ? connection : open();
    }

    /**
     * How long a write waits for a lock on a destination table (held by a reader's long transaction, a {@code LOCK TABLE},
     * a {@code VACUUM FULL}) before it fails, unless the URL's {@code options} set {@code lock_timeout}: a logical
     * replication batch is then tried again with a WARN each time, for as long as the lock is held (without using up
     * {@code retrySeconds}); a table-mode object's run fails and its next run tries again. Without it a write waited
     * without a word for as long as the lock was held.
     */
    static final String LOCK_TIMEOUT = "30s";

    private Connection open() throws SQLException {
        Connection connection;
        try {
            connection = DriverManager.getConnection(jdbcUrl, credentials);
        } catch (SQLException e) {
            // the same state, which tells a transient failure (08...) from a setting to fix
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            throw new SQLException("cannot connect to the PostgreSQL destination " + jdbcUrl + " as "
                    + credentials.getProperty("user") + ": " + e.getMessage() + (state.equals("3D000")
                    ? "; fix: create the database, or correct the destination URI" : state.startsWith("28")
                    ? "; fix: check the destination URI's user and password, and the destination's pg_hba.conf" : ""),
                    e.getSQLState(), e);
        }
        try (Statement s = connection.createStatement()) {
            // for the session (auto-commit is still on), unless the URL's options set one
            s.execute("SELECT set_config('lock_timeout', '" + LOCK_TIMEOUT + "', false)"
                    + " WHERE current_setting('lock_timeout') IN ('0', '0ms')");
        }
        connection.setAutoCommit(false);
        return connection;
    }

    /** A connection whose transaction failed is rolled back and closed: its session state is unknown. */
    private static void discard(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // the connection is being thrown away; the original failure is what matters
        }
        try {
            connection.close();
        } catch (SQLException ignored) {
            // same as above
        }
    }

    @Override
    public void close() throws SQLException {
        closed = true;
        Connection connection;
        while ((connection = idle.poll()) != null) {
            connection.close();
        }
    }

    @Override
    public String toString() {
        return "PostgresWriter[" + jdbcUrl + ", schema " + schema + "]";
    }
}
