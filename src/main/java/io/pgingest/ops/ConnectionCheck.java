package io.pgingest.ops;

import io.pgingest.catalog.Catalog;
import io.pgingest.catalog.CatalogException;
import io.pgingest.catalog.TableInfo;
import io.pgingest.connect.SslMaterial;
import io.pgingest.connect.SslSettings;
import io.pgingest.pipeline.IngestionMode;
import io.pgingest.pipeline.ObjectName;
import io.pgingest.pipeline.ObjectSelection;
import io.pgingest.pipeline.PipelineConfigException;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.SourceConnections;
import io.pgingest.source.logical.LogicalReplicationSource;
import io.pgingest.source.logical.ReplicationNames;
import io.pgingest.source.table.TableSource;
import io.pgingest.state.StateStore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The connection check of one pipeline's source ("TEST CONNECTION"): what a run needs from the server, checked
 * with read-only queries before anything runs. Each finding says what was found and, for a problem, the SQL or
 * setting that fixes it.
 */
final class ConnectionCheck {

    enum Level { OK, WARN, FAIL }

    record Finding(Level level, String text) {
    }

    /** Debezium's PostgreSQL connector supports 10 and later. */
    static final int MIN_VERSION = 100000;

    private final PipelineSettings settings;
    private final StateStore state;
    private final List<Finding> findings = new ArrayList<>();

    private ConnectionCheck(PipelineSettings settings, StateStore state) {
        this.settings = settings;
        this.state = state;
    }

    /** Checks the pipeline's source; {@code state} is only handed to the table-mode query-mode check, which reads none. */
    static List<Finding> run(PipelineSettings settings, StateStore state) {
        ConnectionCheck check = new ConnectionCheck(settings, state);
        check.all();
        return check.findings;
    }

    private void ok(String text) {
        findings.add(new Finding(Level.OK, text));
    }

    private void warn(String text) {
        findings.add(new Finding(Level.WARN, text));
    }

    private void fail(String text) {
        findings.add(new Finding(Level.FAIL, text));
    }

    private void all() {
        var source = settings.source();
        Connection c;
        try {
            c = SourceConnections.open(source, settings.name());
        } catch (SQLException e) {
            fail(SourceConnections.problem(e, source));
            return;
        }
        try (c) {
            int version = intValue(c, "SELECT current_setting('server_version_num')::int");
            String user = text(c, "SELECT current_user");
            ok("connected to " + source.host() + ":" + source.port() + "/" + source.database() + " as " + user
                    + " (PostgreSQL " + text(c, "SHOW server_version") + ")" + (source.ssh() == null ? ""
                    : " through the SSH tunnel " + source.ssh() + " (host key verified against " + source.ssh().knownHostsFile() + ")"));
            ssl(c);
            if (version < MIN_VERSION) {
                fail("PostgreSQL " + text(c, "SHOW server_version") + " is older than 10, the oldest version pg-ingest"
                        + " supports; fix: upgrade the server");
            }
            boolean superuser = bool(c, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
            if (settings.mode() == IngestionMode.LOGICAL_REPLICATION) {
                logical(c, user, version, superuser);
            }
            connections(c, user, superuser);
            objects(c, user, superuser);
        } catch (SQLException e) {
            fail("checking the source failed: " + e.getMessage());
        }
    }

    /**
     * Whether the source lets pg-ingest open {@code concurrentObjects} connections to read objects in parallel: the
     * server's free connections (non-superusers cannot use the reserved ones), the role's and the database's
     * {@code CONNECTION LIMIT}. This check's connection counts as the pipeline's first. Fewer only slow the loads down
     * (the objects are read on the connections the server gives), so a shortfall is a warning.
     */
    private void connections(Connection c, String user, boolean superuser) throws SQLException {
        int wanted = settings.concurrentObjects();
        int server = intValue(c, "SELECT current_setting('max_connections')::int"
                + (superuser ? "" : " - current_setting('superuser_reserved_connections')::int")
                + " - (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend')");
        int role = intValue(c, "SELECT CASE WHEN r.rolconnlimit < 0 THEN 2147483647 ELSE r.rolconnlimit"
                + " - (SELECT count(*)::int FROM pg_stat_activity WHERE usename = current_user) END"
                + " FROM pg_roles r WHERE r.rolname = current_user");
        int database = intValue(c, "SELECT CASE WHEN d.datconnlimit < 0 THEN 2147483647 ELSE d.datconnlimit"
                + " - (SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database()) END"
                + " FROM pg_database d WHERE d.datname = current_database()");
        int room = Math.min(server, Math.min(superuser ? Integer.MAX_VALUE - 1 : role, database)) + 1;
        if (room >= wanted) {
            ok("connections: concurrentObjects " + wanted + " reads up to " + wanted + " object(s) at once, each on a"
                    + " connection of its own; the source allows " + (room > 10_000 ? "that" : room + ""));
            return;
        }
        String limit = server + 1 == room ? "max_connections (" + (server + 1) + " free now)"
                : role + 1 == room ? "the CONNECTION LIMIT of role " + user + " (" + (role + 1) + " free now)"
                : "the CONNECTION LIMIT of database " + settings.source().database() + " (" + (database + 1) + " free now)";
        warn("connections: concurrentObjects " + wanted + " reads up to " + wanted + " object(s) at once, each on a connection"
                + " of its own, but " + limit + " allows " + Math.max(room, 1) + "; the objects are then read on the"
                + " connections the server gives, more slowly; fix: lower concurrentObjects to " + Math.max(room, 1)
                + ", or raise the limit");
    }

    /** How the connection is protected, and what the CA file trusts. */
    private void ssl(Connection c) throws SQLException {
        String protocol = text(c, "SELECT CASE WHEN ssl THEN version END FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
        SslSettings ssl = settings.source().ssl();
        if (ssl == null) {
            ok("ssl: prefer (the default): this connection is "
                    + (protocol == null ? "not encrypted (the server offers no SSL)" : "encrypted (" + protocol + "), the server not verified"));
            return;
        }
        if (!ssl.enabled()) {
            ok("ssl: false: this connection is not encrypted");
            return;
        }
        if (ssl.caFile() == null) {
            warn("SSL (" + protocol + ") without sslCaFile: the connection is encrypted but the server is not verified;"
                    + " fix: set sslCaFile to the CA that signed the server's certificate");
            return;
        }
        SslMaterial material = SslMaterial.load(ssl);
        ok("SSL (" + protocol + "), server verified (" + ssl.sslMode() + ") against " + material.authorities().size() + " of "
                + material.authoritiesInFile() + " certificate(s) of " + ssl.caFile()
                + (ssl.clientCertFile() != null ? ", client certificate " + ssl.clientCertFile() : ""));
        if (material.authoritiesInFile() > material.authorities().size()) {
            warn(material.authoritiesInFile() - material.authorities().size() + " certificate(s) of " + ssl.caFile()
                    + " are not trusted (" + (ssl.loadAllCaCertificates() ? "at most " + SslSettings.MAX_CA_CERTIFICATES
                    + " are loaded" : "sslLoadAllCaCertificates is false: only the first is loaded") + ")");
        }
    }

    private void logical(Connection c, String user, int version, boolean superuser) throws SQLException {
        String walLevel = text(c, "SHOW wal_level");
        boolean rds = exists(c, "SELECT 1 FROM pg_settings WHERE name = 'rds.logical_replication'");
        if ("logical".equals(walLevel)) {
            ok("wal_level = logical");
        } else {
            fail("wal_level = " + walLevel + ": logical replication needs wal_level = logical; fix: " + (rds
                    ? "set rds.logical_replication = 1 in the DB (cluster) parameter group, then reboot the instance"
                    : "ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL") + " (or use mode: table)");
        }
        if (bool(c, "SELECT pg_is_in_recovery()")) {
            if (version < 160000) {
                fail("the server is a standby (read replica): before PostgreSQL 16 a standby cannot decode logically;"
                        + " fix: connect to the primary (on Aurora, the cluster's writer endpoint)");
            } else {
                warn("the server is a standby (read replica): pg-ingest cannot create its publication here; fix: create"
                        + " it on the primary (CREATE PUBLICATION " + ReplicationNames.slot(settings.name()) + " FOR TABLE ..."
                        + " WITH (publish_via_partition_root = true))"
                        + " or connect to the primary");
            }
        }
        boolean replication = superuser || bool(c, "SELECT rolreplication FROM pg_roles WHERE rolname = current_user")
                || bool(c, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication')"
                + " AND pg_has_role(current_user, 'rds_replication', 'member')");
        if (replication) {
            ok("user " + user + " may replicate" + (superuser ? " (superuser)" : ""));
        } else {
            fail("user " + user + " has no replication privilege; fix: ALTER ROLE " + quote(user) + " WITH REPLICATION;"
                    + (rds ? " (RDS/Aurora: GRANT rds_replication TO " + quote(user) + ";)" : ""));
        }
        String slot = ReplicationNames.slot(settings.name());
        boolean slotExists = false;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT plugin, active, database FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    slotExists = true;
                    if (!"pgoutput".equals(rs.getString(1)) || !settings.source().database().equals(rs.getString(3))) {
                        fail("replication slot " + slot + " exists with plugin " + rs.getString(1) + " on database "
                                + rs.getString(3) + ", not pgoutput on " + settings.source().database()
                                + "; fix: if no other consumer uses it, SELECT pg_drop_replication_slot('" + slot + "');");
                    } else {
                        ok("replication slot " + slot + " exists" + (rs.getBoolean(2) ? " and is active (the pipeline runs)" : ""));
                    }
                }
            }
        }
        int maxSlots = intValue(c, "SELECT current_setting('max_replication_slots')::int");
        int usedSlots = intValue(c, "SELECT count(*)::int FROM pg_replication_slots");
        if (!slotExists) {
            if (usedSlots >= maxSlots) {
                fail("all " + maxSlots + " replication slots are in use; fix: ALTER SYSTEM SET max_replication_slots = "
                        + (maxSlots + 1) + "; then restart PostgreSQL, or drop an unused slot (SELECT slot_name, active FROM"
                        + " pg_replication_slots; SELECT pg_drop_replication_slot('name');)");
            } else {
                ok("replication slot " + slot + " will be created (" + (maxSlots - usedSlots) + " of " + maxSlots + " slots free)");
            }
        }
        int maxSenders = intValue(c, "SELECT current_setting('max_wal_senders')::int");
        int usedSenders = intValue(c, "SELECT count(*)::int FROM pg_stat_replication");
        if (usedSenders >= maxSenders) {
            fail("all " + maxSenders + " WAL senders are in use; fix: ALTER SYSTEM SET max_wal_senders = " + (maxSenders + 1)
                    + "; then restart PostgreSQL");
        } else {
            ok("WAL senders: " + (maxSenders - usedSenders) + " of " + maxSenders + " free");
        }
        String timeout = text(c, "SHOW wal_sender_timeout");
        if (!"0".equals(timeout)) {
            warn("wal_sender_timeout = " + timeout + ": the server drops a replication connection silent for that long"
                    + " (pg-ingest then reconnects and resumes); fix: ALTER SYSTEM SET wal_sender_timeout = 0; SELECT"
                    + " pg_reload_conf();" + (rds ? " (RDS/Aurora: in the parameter group)" : ""));
        }
        publication(c, user, superuser, slot);
    }

    /** pg-ingest creates its publication and adds the tables; PostgreSQL lets only a table's owner add it. */
    private void publication(Connection c, String user, boolean superuser, String name) throws SQLException {
        List<TableInfo> tables = selectedTables(c);
        boolean exists = exists(c, "SELECT 1 FROM pg_publication WHERE pubname = '" + name.replace("'", "''") + "'");
        boolean mayCreate = exists || superuser || bool(c, "SELECT has_database_privilege(current_database(), 'CREATE')");
        if (!mayCreate) {
            fail("publication " + name + " is missing and user " + user + " may not create it; fix: GRANT CREATE ON DATABASE "
                    + quote(settings.source().database()) + " TO " + quote(user) + "; or create it as the tables' owner:"
                    + " CREATE PUBLICATION " + name + " FOR TABLE " + tableList(tables) + " WITH (publish_via_partition_root = true);");
        }
        List<String> notOwned = new ArrayList<>();
        if (!superuser) {
            for (TableInfo t : tables) {
                boolean member = exists && exists(c, "SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid ="
                        + " pr.prpubid WHERE p.pubname = '" + name.replace("'", "''") + "' AND pr.prrelid = " + t.oid());
                if (!member && !bool(c, "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = " + t.oid())) {
                    notOwned.add(t.table().display());
                }
            }
        }
        if (notOwned.isEmpty()) {
            if (mayCreate) {
                ok("publication " + name + (exists ? " exists" : " will be created"));
            }
        } else {
            fail("user " + user + " does not own " + notOwned.size() + " selected table(s) missing from publication " + name
                    + " (" + shortList(notOwned) + "): only a table's owner may add it; fix: as the owner, "
                    + (exists ? "ALTER PUBLICATION " + name + " ADD TABLE " : "CREATE PUBLICATION " + name + " FOR TABLE ")
                    + String.join(", ", notOwned) + (exists ? "" : " WITH (publish_via_partition_root = true)") + ";");
        }
    }

    private void objects(Connection c, String user, boolean superuser) throws SQLException {
        for (ObjectSelection s : settings.objects()) {
            if (!s.name().isWildcard()) {
                try {
                    Catalog.describe(c, settings.source().database(), s.name().schema(), s.name().table());
                } catch (CatalogException e) {
                    fail(e.getMessage());
                }
            }
        }
        if (settings.mode() == IngestionMode.TABLE) {
            try {
                new TableSource(settings, state).check(); // query modes against the tables' columns
            } catch (PipelineConfigException e) {
                if (!(e.getCause() instanceof CatalogException)) { // a catalog problem was reported above
                    fail(e.getMessage());
                }
            }
        }
        List<TableInfo> tables = selectedTables(c);
        if (tables.isEmpty()) {
            warn("no table is selected in schemas " + settings.schemas() + "; fix: check 'schemas' and 'objects'");
            return;
        }
        List<String> noUsage = new ArrayList<>();
        List<String> noSelect = new ArrayList<>();
        for (TableInfo t : tables) {
            String schema = t.table().schema();
            if (!bool(c, "SELECT has_schema_privilege(" + literal(schema) + ", 'USAGE')")) {
                if (!noUsage.contains(schema)) {
                    noUsage.add(schema);
                }
            } else if (!bool(c, "SELECT has_table_privilege(" + t.oid() + "::oid, 'SELECT')")) {
                noSelect.add(t.table().display());
            }
        }
        for (String schema : noUsage) {
            fail("user " + user + " has no USAGE on schema " + schema + "; fix: GRANT USAGE ON SCHEMA " + quote(schema)
                    + " TO " + quote(user) + ";");
        }
        if (!noSelect.isEmpty()) {
            fail("user " + user + " may not read " + noSelect.size() + " selected table(s) (" + shortList(noSelect) + ");"
                    + " fix: GRANT SELECT ON " + String.join(", ", noSelect) + " TO " + quote(user) + ";");
        }
        if (noUsage.isEmpty() && noSelect.isEmpty()) {
            ok(tables.size() + " table(s) selected, each readable by " + user + (superuser ? " (superuser)" : ""));
        }
        if (settings.mode() == IngestionMode.LOGICAL_REPLICATION) {
            LogicalReplicationSource.skipReasons(c, tables, settings, state).forEach((table, reason) ->
                    warn(table + " will be skipped: " + reason));
        }
    }

    private List<TableInfo> selected;

    /** The tables of the selected schemas that the pipeline's 'objects' select. */
    private List<TableInfo> selectedTables(Connection c) {
        if (selected == null) {
            selected = Catalog.listTables(c, settings.source().database(), settings.schemas()).stream()
                    .filter(t -> settings.selectionFor(t.table().schema(), t.table().table()).isPresent())
                    .collect(Collectors.toList());
        }
        return selected;
    }

    private static String tableList(List<TableInfo> tables) {
        return tables.isEmpty() ? "..." : tables.stream().map(t -> t.table().display()).collect(Collectors.joining(", "));
    }

    private static String shortList(List<String> names) {
        return names.size() <= 5 ? String.join(", ", names) : String.join(", ", names.subList(0, 5)) + ", ...";
    }

    private static String quote(String identifier) {
        return ObjectName.quoteIfNeeded(identifier);
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    private static String text(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static int intValue(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static boolean bool(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private static boolean exists(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            return rs.next();
        }
    }
}
