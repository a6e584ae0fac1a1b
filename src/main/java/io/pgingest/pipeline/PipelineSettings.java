package io.pgingest.pipeline;

import io.pgingest.connect.SslMaterial;
import io.pgingest.connect.SslSettings;
import io.pgingest.connect.SshSettings;
import io.pgingest.connect.SshTunnels;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The validated settings of one pipeline, built from the options of a {@code pgingest:}
 * endpoint (which the {@code pg-ingest} route template fills from the YAML parameters).
 * Immutable. {@link #toString()} never shows the password.
 *
 * @param name             unique pipeline name, 1–255 characters
 * @param mode             ingestion mode
 * @param source           how to reach the source database
 * @param schemas          schemas whose tables the pipeline may select
 * @param objects          selected objects with their query modes, in the order written
 * @param defaultQueryMode query mode of new tables no selection line covers
 * @param includeNewTables ingest tables created after the pipeline started (else SKIPPED)
 * @param mergeTables      Merge Tables on/off (destination naming)
 * @param frequency        time between scheduled runs; {@link #STREAMING} for a log-based pipeline that streams (no
 *                         frequency set)
 * @param batchSize        rows per batch (one destination transaction each)
 * @param sizedHistoricalPages {@code batchSize} was not set: historical loads may use larger pages
 *                         (about 24 MB of rows, see {@code TableSource#pageSize})
 * @param fullLoadLimit    maximum rows a Full Load object reads in one run
 * @param lateCommitWait   how long a poll waits for transactions still open at its start
 * @param loadHistoricalData logical replication: snapshot the tables first (else changes from the start only)
 * @param retryBudget      logical replication: how long a failing batch is retried (backoff 1 s doubling
 *                         to 60 s) before the pipeline stops; long enough to ride out a server restart
 * @param heartbeatQuery   logical replication: SQL run on the source at every heartbeat (Debezium's
 *                         {@code heartbeat.action.query}), or empty for none (the default: the slot follows the
 *                         server's keepalive positions without it)
 * @param walRetentionWarningMb logical replication: above this many MB of WAL retained by the pipeline's slot a
 *                         WARN line is logged (see {@code SlotMonitor})
 * @param skipObjectsAtStart the first run records every selected object SKIPPED (the pipeline runs, nothing is
 *                         ingested until an operator includes objects)
 * @param concurrentObjects how many objects are read at the same time, each on a source connection of its own: the
 *                         historical loads of a log-based pipeline, a table-mode run's objects
 *                         ({@code io.pgingest.source.ConcurrentObjects})
 * @param batchWait        logical replication while streaming: how long a batch gathers changes before it is written
 *                         (unless it fills first), and how long the reader rests when the server had nothing to send
 *                         (Debezium's {@code poll.interval.ms}); a {@code --once} run uses 10 ms
 * @param matchKeylessTables logical replication, {@code keylessTables: match}: the changes of a table without key
 *                         (REPLICA IDENTITY FULL) are matched on its columns' values, so that its destination table
 *                         holds its rows (an update or delete soft-deletes an equal row); else ({@code append}, the
 *                         default) each change is appended as a row (an append log)
 */
public record PipelineSettings(String name, IngestionMode mode, SourceSettings source, List<String> schemas,
                               List<ObjectSelection> objects, QueryMode defaultQueryMode, boolean includeNewTables, boolean mergeTables,
                               Duration frequency, int batchSize, boolean sizedHistoricalPages, long fullLoadLimit,
                               Duration lateCommitWait, boolean loadHistoricalData, Duration retryBudget,
                               String heartbeatQuery, int walRetentionWarningMb, boolean skipObjectsAtStart,
                               int concurrentObjects, Duration batchWait, boolean matchKeylessTables) {

    public static final int MAX_NAME_LENGTH = 255;
    /** The {@link #frequency} of a log-based pipeline that streams continuously: none set. */
    public static final Duration STREAMING = Duration.ZERO;
    /** Objects read at the same time unless {@code concurrentObjects} says otherwise. */
    public static final int DEFAULT_CONCURRENT_OBJECTS = 4;
    /**
     * How long a streamed batch gathers changes unless {@code batchWaitMs} says otherwise. Shorter waits write smaller
     * batches sooner: at 2,000 changes/s into PostgreSQL, 25 ms took the median commit-to-destination latency from 63
     * to 22 ms and the process's CPU from a quarter to a third of a core (idle: from 1.9% to 5.2%; bench/README.md,
     * seventeenth session).
     */
    public static final int DEFAULT_BATCH_WAIT_MS = 100;

    /** Every option a {@code pgingest:} endpoint accepts, besides the pipeline name in the path. */
    public static final Set<String> KEYS = Set.of("mode", "host", "port", "database", "user", "password",
            "schemas", "objects", "defaultQueryMode", "includeNewTables", "mergeTables", "frequency", "batchSize",
            "fullLoadLimit", "lateCommitWaitSeconds", "loadHistoricalData", "retrySeconds", "heartbeatQuery",
            "walRetentionWarningMb", "ssl", "sslCaFile", "sslLoadAllCaCertificates", "sslClientCertFile",
            "sslClientKeyFile", "sslVerifyHostname", "sshHost", "sshPort", "sshUser", "sshPrivateKeyFile",
            "sshKnownHostsFile", "skipObjectsAtStart", "passwordFile", "concurrentObjects", "batchWaitMs",
            "keylessTables");

    /**
     * How to reach the source; {@code ssl} is null for the driver's default (ssl: prefer), {@code ssh} when there is no SSH tunnel
     * (with one, host and port are as the SSH server sees them); {@link #toString()} hides the password.
     */
    public record SourceSettings(String host, int port, String database, String user, String password, SslSettings ssl,
                                 SshSettings ssh) {
        public String jdbcUrl() {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database;
        }

        @Override
        public String toString() {
            return user + "@" + host + ":" + port + "/" + database;
        }
    }

    /** The setting whose name is nearest to {@code key} (Levenshtein distance, case ignored), when one is near enough. */
    static java.util.Optional<String> closest(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : KEYS.stream().sorted().toList()) {
            int d = distance(key.toLowerCase(java.util.Locale.ROOT), known.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance) {
                best = known;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(2, key.length() / 3) ? java.util.Optional.of(best) : java.util.Optional.empty();
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }

    /**
     * Validates raw options (all strings, as they come from YAML) and builds the settings.
     * Throws {@link PipelineConfigException} naming the first bad key.
     */
    public static PipelineSettings parse(String name, Map<String, String> options) {
        Options o = new Options(name, options);
        if (name == null || name.isBlank()) {
            throw new PipelineConfigException(String.valueOf(name), "pipeline", "the pipeline name is empty; give it a name of 1 to 255 characters");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new PipelineConfigException(name.substring(0, 40) + "...", "pipeline", "the name has " + name.length()
                    + " characters; at most " + MAX_NAME_LENGTH + " are allowed");
        }
        for (String key : options.keySet()) {
            if (!KEYS.contains(key)) {
                throw new PipelineConfigException(name, key, "unknown setting" + closest(key).map(c -> " (did you mean '"
                        + c + "'?)").orElse("") + "; allowed: " + String.join(", ", KEYS.stream().sorted().toList()));
            }
        }
        IngestionMode mode = o.get("mode", "logical-replication", IngestionMode::parse);
        if (mode != IngestionMode.TABLE && mode != IngestionMode.LOGICAL_REPLICATION) {
            throw new PipelineConfigException(name, "mode", "mode '" + mode.keyword()
                    + "' is not available in this version yet; use mode: logical-replication or table");
        }
        SourceSettings source = new SourceSettings(o.required("host"), o.integer("port", 5432, 1, 65535),
                o.required("database"), o.required("user"), password(o), ssl(o), ssh(o));
        List<String> schemas = o.get("schemas", "public", PipelineSettings::schemas);
        QueryMode defaultMode = o.get("defaultQueryMode", "full-load", QueryMode::parse);
        List<ObjectSelection> objects = o.get("objects", "*", text -> ObjectSelection.parseAll(text, defaultMode));
        for (ObjectSelection s : objects) {
            if (s.name().schema() != null && !schemas.contains(s.name().schema())) {
                throw new PipelineConfigException(name, "objects", "object " + s.name().display() + " is in schema '"
                        + s.name().schema() + "', which is not among schemas " + schemas + "; add it to 'schemas'");
            }
        }
        // A log-based pipeline streams unless a frequency is set (30 min to 12 h): then it reads its slot in scheduled runs
        Duration frequency = mode == IngestionMode.LOGICAL_REPLICATION
                ? o.get("frequency", "", v -> v.isBlank() ? STREAMING : Frequency.parse(v, Frequency.LOG_MAXIMUM))
                : o.get("frequency", "6h", v -> Frequency.parse(v, Frequency.TABLE_MAXIMUM));
        return new PipelineSettings(name, mode, source, schemas, objects, defaultMode,
                o.bool("includeNewTables", true), o.bool("mergeTables", true), frequency,
                o.integer("batchSize", 10_000, 1, 1_000_000), o.raw("batchSize", "").isBlank(),
                o.integer("fullLoadLimit", 25_000_000, 1, Integer.MAX_VALUE),
                Duration.ofSeconds(o.integer("lateCommitWaitSeconds", 60, 0, 86_400)), o.bool("loadHistoricalData", true),
                Duration.ofSeconds(o.integer("retrySeconds", 600, 0, 86_400)), o.raw("heartbeatQuery", "").strip(),
                o.integer("walRetentionWarningMb", 1024, 1, 100_000_000), o.bool("skipObjectsAtStart", false),
                o.integer("concurrentObjects", DEFAULT_CONCURRENT_OBJECTS, 1, 64),
                Duration.ofMillis(o.integer("batchWaitMs", DEFAULT_BATCH_WAIT_MS, 5, 10_000)), matchKeylessTables(o, mode));
    }

    /** {@code keylessTables}: {@code append} (the default) or {@code match}, the latter for logical replication only. */
    private static boolean matchKeylessTables(Options o, IngestionMode mode) {
        String value = o.raw("keylessTables", "append").strip().toLowerCase(java.util.Locale.ROOT);
        if (!value.equals("append") && !value.equals("match")) {
            throw new PipelineConfigException(o.pipeline, "keylessTables", "'" + value + "' is not a choice; use append"
                    + " (each change of a table without key appended as a row) or match (updates and deletes matched on the"
                    + " row's values)");
        }
        if (value.equals("match") && mode != IngestionMode.LOGICAL_REPLICATION) {
            throw new PipelineConfigException(o.pipeline, "keylessTables", "match applies to mode logical-replication only"
                    + " (table mode sees no updates or deletes of a table without key); remove the setting");
        }
        return value.equals("match");
    }

    /**
     * The source password: {@code password}, or the content of {@code passwordFile} (e.g. a mounted secret) without
     * its trailing line break. Never logged.
     */
    private static String password(Options o) {
        String file = o.raw("passwordFile", "").strip();
        if (file.isEmpty()) {
            return o.raw("password", "");
        }
        if (!o.raw("password", "").isEmpty()) {
            throw new PipelineConfigException(o.pipeline, "passwordFile", "both password and passwordFile are set; give one");
        }
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of(file)).replaceAll("[\\r\\n]+$", "");
        } catch (java.io.IOException | RuntimeException e) {
            throw new PipelineConfigException(o.pipeline, "passwordFile", "cannot read " + file + ": " + e.getMessage());
        }
    }

    /**
     * The SSL settings: {@code ssl: prefer} (the default) gives null, the driver's default (SSL when the server offers
     * it, unverified); {@code false} no SSL; {@code true} SSL with the other ssl* settings. The files are read now, so
     * that a bad one stops the start with its setting named.
     */
    private static SslSettings ssl(Options o) {
        List<String> keys = List.of("sslCaFile", "sslLoadAllCaCertificates", "sslClientCertFile", "sslClientKeyFile",
                "sslVerifyHostname");
        String mode = o.get("ssl", "prefer", v -> {
            String m = v.strip().toLowerCase(Locale.ROOT);
            if (!List.of("true", "false", "prefer").contains(m)) {
                throw new IllegalArgumentException("'" + v + "' is not one of true, false, prefer");
            }
            return m;
        });
        if (!mode.equals("true")) {
            for (String key : keys) {
                if (!o.raw(key, "").isBlank()) {
                    throw new PipelineConfigException(o.pipeline, key, "is set but ssl is not true; add ssl: true to connect with SSL");
                }
            }
            return mode.equals("false") ? SslSettings.DISABLED : null;
        }
        String cert = o.raw("sslClientCertFile", "").strip();
        String key = o.raw("sslClientKeyFile", "").strip();
        if (cert.isEmpty() != key.isEmpty()) {
            throw new PipelineConfigException(o.pipeline, cert.isEmpty() ? "sslClientCertFile" : "sslClientKeyFile",
                    "missing; a client certificate needs its key (sslClientCertFile and sslClientKeyFile go together)");
        }
        String ca = o.raw("sslCaFile", "").strip();
        SslSettings settings = new SslSettings(true, ca.isEmpty() ? null : java.nio.file.Path.of(ca),
                o.bool("sslLoadAllCaCertificates", false), cert.isEmpty() ? null : java.nio.file.Path.of(cert),
                key.isEmpty() ? null : java.nio.file.Path.of(key), o.bool("sslVerifyHostname", true));
        try {
            SslMaterial.load(settings);
        } catch (SslMaterial.SslProblem e) {
            throw new PipelineConfigException(o.pipeline, e.setting(), e.getMessage());
        }
        return settings;
    }

    /** The SSH tunnel when {@code sshHost} is set (null otherwise); the key file is read now. */
    private static SshSettings ssh(Options o) {
        List<String> keys = List.of("sshPort", "sshUser", "sshPrivateKeyFile", "sshKnownHostsFile");
        String host = o.raw("sshHost", "").strip();
        if (host.isEmpty()) {
            for (String key : keys) {
                if (!o.raw(key, "").isBlank()) {
                    throw new PipelineConfigException(o.pipeline, key, "is set but sshHost is not; set sshHost to connect through SSH");
                }
            }
            return null;
        }
        String keyFile = o.required("sshPrivateKeyFile").strip();
        String knownHosts = o.raw("sshKnownHostsFile", "").strip();
        java.nio.file.Path known = knownHosts.isEmpty()
                ? java.nio.file.Path.of(System.getProperty("user.home"), ".ssh", "known_hosts") : java.nio.file.Path.of(knownHosts);
        int port = o.integer("sshPort", 22, 1, 65535);
        if (!java.nio.file.Files.isReadable(known)) {
            throw new PipelineConfigException(o.pipeline, "sshKnownHostsFile", known + " cannot be read; the SSH server's host"
                    + " key is verified against it: create it with the key, e.g. ssh-keyscan -p " + port + " " + host + " >> " + known);
        }
        SshSettings ssh = new SshSettings(host, port, o.required("sshUser"), java.nio.file.Path.of(keyFile), known);
        try {
            SshTunnels.checkKey(ssh);
        } catch (IllegalArgumentException e) {
            throw new PipelineConfigException(o.pipeline, "sshPrivateKeyFile", e.getMessage());
        }
        return ssh;
    }

    private static List<String> schemas(String text) {
        List<String> out = new ArrayList<>();
        for (String part : ObjectName.splitOutsideQuotes(text, ',')) {
            if (!part.isBlank()) {
                out.add(ObjectName.unquote(part));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no schema given; write e.g. public or public, sales");
        }
        return List.copyOf(out);
    }

    /** The selection that covers a table: the line naming it, else the first wildcard covering its schema. */
    public java.util.Optional<ObjectSelection> selectionFor(String schema, String table) {
        for (ObjectSelection s : objects) {
            if (!s.name().isWildcard() && s.name().schema().equals(schema) && s.name().table().equals(table)) {
                return java.util.Optional.of(s);
            }
        }
        return objects.stream().filter(s -> s.name().covers(schema)).findFirst();
    }

    /** Whether the pipeline streams continuously: log-based with no {@code frequency} set (else it runs on a schedule). */
    public boolean streams() {
        return mode == IngestionMode.LOGICAL_REPLICATION && frequency.equals(STREAMING);
    }

    @Override
    public String toString() {
        return "pipeline " + name + " (" + mode.keyword() + ", " + source + ")";
    }

    /** Typed access to raw options with messages naming the key. */
    private static final class Options {
        private final String pipeline;
        private final Map<String, String> values;

        Options(String pipeline, Map<String, String> values) {
            this.pipeline = pipeline;
            this.values = new LinkedHashMap<>(values);
        }

        /** The value, or {@code fallback} when absent or blank (templates pass unset parameters as ""). */
        String raw(String key, String fallback) {
            String v = values.get(key);
            return v == null || v.isBlank() ? fallback : v;
        }

        String required(String key) {
            String v = values.get(key);
            if (v == null || v.isBlank()) {
                throw new PipelineConfigException(pipeline, key, "missing; this setting is required");
            }
            return v.trim();
        }

        <T> T get(String key, String fallback, java.util.function.Function<String, T> parser) {
            String v = raw(key, fallback);
            try {
                return parser.apply(v.isBlank() ? fallback : v);
            } catch (IllegalArgumentException e) {
                throw new PipelineConfigException(pipeline, key, e.getMessage(), e);
            }
        }

        int integer(String key, int fallback, int min, int max) {
            String v = raw(key, Integer.toString(fallback)).trim();
            try {
                int i = Integer.parseInt(v);
                if (i < min || i > max) {
                    throw new NumberFormatException();
                }
                return i;
            } catch (NumberFormatException e) {
                throw new PipelineConfigException(pipeline, key, "'" + v + "' is not allowed; an integer from " + min + " to " + max);
            }
        }

        boolean bool(String key, boolean fallback) {
            String v = raw(key, Boolean.toString(fallback)).trim().toLowerCase(Locale.ROOT);
            if (!Arrays.asList("true", "false").contains(v)) {
                throw new PipelineConfigException(pipeline, key, "'" + v + "' is not allowed; true or false");
            }
            return Boolean.parseBoolean(v);
        }
    }
}
