package io.pgingest.source.logical;

import io.pgingest.event.LogicalType;
import io.debezium.connector.postgresql.PostgresValueConverter;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;

/**
 * Converts the values Debezium's PostgreSQL connector produces, with the handling modes set by
 * {@link DebeziumProperties} (adaptive_time_microseconds, decimals and intervals as strings, bytes,
 * hstore as JSON), into the classes {@link LogicalType} documents. Values it does not change (strings of numerics,
 * UUIDs, ISO intervals; arrays and bit strings, text already from {@link SourceTextConverter}) are left for the
 * type-mapping processor, which converts them. Also recognises the unchanged-TOAST placeholder. Stateless.
 */
final class DebeziumValues {

    /** What Debezium sends for an unchanged TOASTed value it did not receive (REPLICA IDENTITY not FULL). */
    static final String UNAVAILABLE = "__debezium_unavailable_value";
    private static final byte[] UNAVAILABLE_BYTES = UNAVAILABLE.getBytes(StandardCharsets.UTF_8);

    private DebeziumValues() {
    }

    /**
     * Whether the value is the unchanged-TOAST placeholder: as text, or as bytes for bytea (arrays, whose placeholders
     * Debezium makes of their element type, are converted by {@link SourceTextConverter}, which gives the text).
     */
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
        return false;
    }

    /** The value of one column converted for its logical type; {@code schema} is the Debezium field schema. */
    static Object convert(LogicalType type, Schema schema, Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof ByteBuffer b && type != LogicalType.BYTES) {
            // types Debezium does not know (xid, cid, xid8, ...: include.unknown.datatypes) arrive as the bytes of
            // their text form, which is then read like a snapshot's text
            v = new String(bytes(b), StandardCharsets.UTF_8);
        }
        String name = schema == null ? null : schema.name();
        return switch (type) {
            case DATE -> v instanceof Integer days ? date(days) : v;
            case TIME -> time(name, v);
            case TIMESTAMP -> timestamp(name, v);
            case TIMESTAMPTZ -> v instanceof String s ? timestamptz(s) : v;
            case TIMETZ -> v instanceof String s ? OffsetTime.parse(s) : v;
            case BYTES -> v instanceof ByteBuffer b ? bytes(b) : v;
            case DECIMAL -> v instanceof String s ? decimal(s) : v;
            case TEXT -> v instanceof Struct st && "io.debezium.data.geometry.Point".equals(st.schema().name())
                    ? "(" + floatText(st.getFloat64("x")) + "," + floatText(st.getFloat64("y")) + ")" : v;
            default -> v;
        };
    }

    /**
     * A float8 as PostgreSQL prints it with extra_float_digits above 0 (the shortest text that reads back exactly, of
     * those the closest to the value; exponent form below 1e-4 and from 1e15). Not from Java's {@link Double#toString},
     * which on Java 17 gives some values a digit more ({@code 4.9E-324} for PostgreSQL's {@code 5e-324},
     * {@code 2.82879384806159008E17} for {@code 2.82879384806159e+17}: found by the twenty-second session's probe).
     */
    static String floatText(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0" : "0";
        }
        java.math.BigDecimal exact = new java.math.BigDecimal(d);
        java.math.BigDecimal b = exact;
        for (int digits = 1; digits <= 17; digits++) {
            b = exact.round(new java.math.MathContext(digits, java.math.RoundingMode.HALF_EVEN));
            if (b.doubleValue() == d) {
                break;
            }
        }
        b = b.stripTrailingZeros();
        int exponent = b.precision() - b.scale() - 1;
        if (exponent >= -4 && exponent < 15) {
            return b.toPlainString();
        }
        String digits = b.unscaledValue().abs().toString();
        String mantissa = digits.length() > 1 ? digits.charAt(0) + "." + digits.substring(1) : digits;
        return (d < 0 ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+")
                + (Math.abs(exponent) < 10 ? "0" : "") + Math.abs(exponent);
    }

    /**
     * Debezium's days since 1970 of a date. PostgreSQL's infinities arrive as Debezium's stand-ins
     * ({@link PostgresValueConverter#POSITIVE_INFINITY_LOCAL_DATE} and NEGATIVE_...: in Debezium 3.4 two days near the
     * int's lower limit) and become what the snapshot reads ({@link LocalDate#MAX}, {@link LocalDate#MIN}).
     */
    private static LocalDate date(int days) {
        LocalDate d = LocalDate.ofEpochDay(days);
        return d.equals(PostgresValueConverter.POSITIVE_INFINITY_LOCAL_DATE) ? LocalDate.MAX
                : d.equals(PostgresValueConverter.NEGATIVE_INFINITY_LOCAL_DATE) ? LocalDate.MIN : d;
    }

    /** Debezium's text of a numeric (decimal.handling.mode string); its special values as PostgreSQL spells them. */
    private static String decimal(String s) {
        return switch (s) {
            case "NAN" -> "NaN";
            case "POSITIVE_INFINITY" -> "Infinity";
            case "NEGATIVE_INFINITY" -> "-Infinity";
            default -> s;
        };
    }

    /** Debezium's ISO text of a timestamptz, at UTC; PostgreSQL's infinities as the snapshot reads them. */
    private static OffsetDateTime timestamptz(String s) {
        return switch (s) {
            case "infinity" -> OffsetDateTime.MAX;
            case "-infinity" -> OffsetDateTime.MIN;
            default -> OffsetDateTime.parse(s).withOffsetSameInstant(ZoneOffset.UTC);
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
        boolean micros = !"io.debezium.time.Timestamp".equals(name) && !"io.debezium.time.NanoTimestamp".equals(name);
        if (micros && value < NEGATIVE_INFINITY_MICROS) {
            // below Debezium's stand-in for -infinity: its microseconds since 1970 of a timestamp after 294247-01-10
            // (PostgreSQL goes to 294276) overflowed; the value is lost, so the change must not be written
            throw new IllegalArgumentException("a timestamp after the year 294247 cannot be streamed: Debezium 3.4's"
                    + " microseconds since 1970 overflow (" + value + "); replicate the table with mode: table");
        }
        Instant instant = switch (name == null ? "" : name) {
            case "io.debezium.time.Timestamp" -> Instant.ofEpochMilli(value);
            case "io.debezium.time.NanoTimestamp" -> Instant.ofEpochSecond(Math.floorDiv(value, 1_000_000_000L),
                    Math.floorMod(value, 1_000_000_000L));
            default -> Instant.ofEpochSecond(Math.floorDiv(value, 1_000_000L), Math.floorMod(value, 1_000_000L) * 1_000L);
        };
        // PostgreSQL's infinities arrive as Debezium's stand-ins, in the field's unit
        if (!instant.isBefore(PostgresValueConverter.POSITIVE_INFINITY_INSTANT.truncatedTo(ChronoUnit.MILLIS))) {
            return LocalDateTime.MAX;
        }
        if (!instant.isAfter(PostgresValueConverter.NEGATIVE_INFINITY_INSTANT)) {
            return LocalDateTime.MIN;
        }
        return LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    /** Debezium's stand-in for -infinity in a MicroTimestamp: pgjdbc's {@code DATE_NEGATIVE_INFINITY} read as microseconds. */
    private static final long NEGATIVE_INFINITY_MICROS = org.postgresql.PGStatement.DATE_NEGATIVE_INFINITY;

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
