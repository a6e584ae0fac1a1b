package io.debezium.connector.postgresql;

import io.debezium.config.CommonConnectorConfig;
import io.debezium.connector.SnapshotRecord;
import io.debezium.connector.postgresql.connection.Lsn;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;

/**
 * pg-ingest's maker of the {@code source} block of Debezium's change records (registered as
 * {@code sourceinfo.struct.maker} by {@code io.pgingest.source.logical.DebeziumProperties}): the same schema and
 * values as Debezium's {@link PostgresSourceInfoStructMaker}, made at a fraction of its cost. Debezium's writes the
 * {@code sequence} field (the last commit's and the change's positions) with a Jackson mapper for every change,
 * and looks every field up by name: in a backlog of small transactions the block took a seventh of the streaming
 * thread's time, a tenth for the JSON alone (JFR of a (B) drain, bench/README.md, twelfth session), and Jackson's
 * serializer was among the methods the JIT compiled during the drain.
 *
 * <p>In Debezium's package because the values it reads are package-private there; the last commit's position is a
 * private field, read through a {@link VarHandle}. {@code PgIngestSourceInfoStructMakerTest} compares every field
 * with Debezium's maker, so a Debezium version that changes the block fails the build instead of the data.
 */
public final class PgIngestSourceInfoStructMaker extends PostgresSourceInfoStructMaker {

    private static final VarHandle LAST_COMMIT_LSN;

    static {
        try {
            LAST_COMMIT_LSN = MethodHandles.privateLookupIn(SourceInfo.class, MethodHandles.lookup())
                    .findVarHandle(SourceInfo.class, "lastCommitLsn", Lsn.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private String version;
    private String connector;
    private String serverName;
    private Field versionField;
    private Field connectorField;
    private Field nameField;
    private Field tsMs;
    private Field db;
    private Field tsUs;
    private Field tsNs;
    private Field sequence;
    private Field schemaName;
    private Field tableName;
    private Field txId;
    private Field lsn;
    private Field xmin;

    @Override
    public void init(String connector, String version, CommonConnectorConfig connectorConfig) {
        super.init(connector, version, connectorConfig);
        this.connector = connector;
        this.version = version;
        this.serverName = connectorConfig.getLogicalName();
        Schema schema = schema();
        versionField = schema.field("version");
        connectorField = schema.field("connector");
        nameField = schema.field("name");
        tsMs = schema.field("ts_ms");
        db = schema.field("db");
        tsUs = schema.field("ts_us");
        tsNs = schema.field("ts_ns");
        sequence = schema.field("sequence");
        schemaName = schema.field(SourceInfo.SCHEMA_NAME_KEY);
        tableName = schema.field(SourceInfo.TABLE_NAME_KEY);
        txId = schema.field(SourceInfo.TXID_KEY);
        lsn = schema.field(SourceInfo.LSN_KEY);
        xmin = schema.field(SourceInfo.XMIN_KEY);
    }

    @Override
    public Struct struct(SourceInfo info) {
        Instant ts = info.timestamp() != null ? info.timestamp() : Instant.now();
        long seconds = ts.getEpochSecond();
        int nanos = ts.getNano();
        Struct s = new Struct(schema());
        s.put(versionField, version);
        s.put(connectorField, connector);
        s.put(nameField, serverName);
        s.put(tsMs, ts.toEpochMilli());
        s.put(db, info.database() != null ? info.database() : "");
        s.put(tsUs, seconds * 1_000_000L + nanos / 1_000);
        s.put(tsNs, seconds * 1_000_000_000L + nanos);
        s.put(sequence, "[" + quoted((Lsn) LAST_COMMIT_LSN.get(info)) + "," + quoted(info.lsn()) + "]");
        SnapshotRecord snapshot = info.snapshot();
        if (snapshot != null) {
            snapshot.toSource(s);
        }
        s.put(schemaName, info.schemaName());
        s.put(tableName, info.tableName());
        if (snapshot != SnapshotRecord.INCREMENTAL) {
            if (info.txId() != null) {
                s.put(txId, info.txId());
            }
            if (info.lsn() != null) {
                s.put(lsn, info.lsn().asLong());
            }
            if (info.xmin() != null) {
                s.put(xmin, info.xmin());
            }
        }
        return s;
    }

    /** A position as an element of the {@code sequence} JSON array: its number as a string, or null. */
    private static String quoted(Lsn position) {
        return position == null ? "null" : "\"" + position.asLong() + "\"";
    }
}
