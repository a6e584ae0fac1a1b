package io.pgingest.source.logical;

import io.pgingest.event.LogicalType;
import org.apache.kafka.connect.data.Schema;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;

/**
 * Converts the values Debezium's PostgreSQL connector produces, with the handling modes set by
 * {@link DebeziumProperties} (adaptive_time_microseconds, decimals and intervals as strings, bytes,
 * hstore as JSON), into the classes {@link LogicalType} documents. Values it does not change
 * (strings of numerics, UUIDs, ISO intervals, lists for arrays) are left for the type-mapping
 * processor, which converts them. Also recognises the unchanged-TOAST placeholder. Stateless.
 */
final class DebeziumValues {

    /** What Debezium sends for an unchanged TOASTed value it did not receive (REPLICA IDENTITY not FULL). */
    static final String UNAVAILABLE = "__debezium_unavailable_value";
    private static final byte[] UNAVAILABLE_BYTES = UNAVAILABLE.getBytes(StandardCharsets.UTF_8);

    private DebeziumValues() {
    }

    /** Whether the value is the unchanged-TOAST placeholder (as text, bytes, or the one element of an array). */
    static boolean unavailable(Object v) {
        if (v instanceof String s) {
            return UNAVAILABLE.equals(s);
        }
        if (v instanceof byte[] b) {
            return Arrays.equals(b, UNAVAILABLE_BYTES);
        }
        if (v instanceof ByteBuffer b) {
            return b.remaining() == UNAVAILABLE_BYTES.length && b.duplicate().equals(ByteBuffer.wrap(UNAVAILABLE_BYTES));
        }
        if (v instanceof List<?> l) {
            return l.size() == 1 && unavailable(l.get(0));
        }
        return false;
    }

    /** The value of one column converted for its logical type; {@code schema} is the Debezium field schema. */
    static Object convert(LogicalType type, Schema schema, Object v) {
        if (v == null) {
            return null;
        }
        String name = schema == null ? null : schema.name();
        return switch (type) {
            case DATE -> v instanceof Integer days ? LocalDate.ofEpochDay(days) : v;
            case TIME -> time(name, v);
            case TIMESTAMP -> timestamp(name, v);
            case TIMESTAMPTZ -> v instanceof String s ? OffsetDateTime.parse(s).withOffsetSameInstant(ZoneOffset.UTC) : v;
            case TIMETZ -> v instanceof String s ? OffsetTime.parse(s) : v;
            case BYTES -> v instanceof ByteBuffer b ? bytes(b) : v;
            default -> v;
        };
    }

    private static Object time(String name, Object v) {
        if (!(v instanceof Number n)) {
            return v;
        }
        long nanos = switch (name == null ? "" : name) {
            case "io.debezium.time.Time" -> n.longValue() * 1_000_000L;
            case "io.debezium.time.NanoTime" -> n.longValue();
            default -> n.longValue() * 1_000L; // MicroTime
        };
        // 24:00:00 is a valid PostgreSQL time but not a LocalTime
        return nanos >= 86_400_000_000_000L ? LocalTime.MAX : LocalTime.ofNanoOfDay(nanos);
    }

    private static Object timestamp(String name, Object v) {
        if (!(v instanceof Number n)) {
            return v;
        }
        long value = n.longValue();
        Instant instant = switch (name == null ? "" : name) {
            case "io.debezium.time.Timestamp" -> Instant.ofEpochMilli(value);
            case "io.debezium.time.NanoTimestamp" -> Instant.ofEpochSecond(Math.floorDiv(value, 1_000_000_000L),
                    Math.floorMod(value, 1_000_000_000L));
            default -> Instant.ofEpochSecond(Math.floorDiv(value, 1_000_000L), Math.floorMod(value, 1_000_000L) * 1_000L);
        };
        return LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
