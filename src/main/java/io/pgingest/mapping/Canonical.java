package io.pgingest.mapping;

import io.pgingest.event.LogicalType;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZonedDateTime;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Tells whether a value already has the Java class {@link LogicalType} documents, and converts the
 * classes other sources produce (JDBC legacy types, strings, driver objects) into it.
 * Conversions never use the JVM default time zone except where the input class itself is defined by it
 * ({@code java.sql.Date/Time/Timestamp} carry local fields that are read back as they were made).
 */
final class Canonical {

    private Canonical() {
    }

    static boolean isCanonical(LogicalType type, Object v) {
        return switch (type) {
            case BOOLEAN -> v instanceof Boolean;
            case INT16 -> v instanceof Short;
            case INT32 -> v instanceof Integer;
            case INT64 -> v instanceof Long;
            case FLOAT32 -> v instanceof Float;
            case FLOAT64 -> v instanceof Double;
            case DECIMAL -> v instanceof BigDecimal;
            case TEXT, JSON -> v instanceof String;
            case BYTES -> v instanceof byte[];
            case DATE -> v instanceof LocalDate;
            case TIME -> v instanceof LocalTime;
            case TIMETZ -> v instanceof OffsetTime;
            case TIMESTAMP -> v instanceof LocalDateTime;
            case TIMESTAMPTZ -> v instanceof OffsetDateTime t && Temporals.isUtc(t);
            case INTERVAL -> v instanceof String s && !isIsoOrVerboseInterval(s);
            case UUID -> v instanceof UUID;
        };
    }

    /** Converts a non-null value; canonical values are returned as they are. */
    static Object convert(LogicalType type, Object v) {
        return switch (type) {
            case BOOLEAN -> bool(v);
            case INT16 -> v instanceof Short ? v : (Object) (short) integral(v, Short.MIN_VALUE, Short.MAX_VALUE);
            case INT32 -> v instanceof Integer ? v : (Object) (int) integral(v, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case INT64 -> v instanceof Long ? v : (Object) integral(v, Long.MIN_VALUE, Long.MAX_VALUE);
            case FLOAT32 -> v instanceof Number n ? (Object) n.floatValue() : (Object) Float.parseFloat(text(v));
            case FLOAT64 -> v instanceof Number n ? (Object) n.doubleValue() : (Object) Double.parseDouble(text(v));
            case DECIMAL -> decimal(v);
            case TEXT -> text(v);
            case JSON -> JsonText.isArrayLike(v) ? JsonText.of(v) : text(v);
            case BYTES -> bytes(v);
            case DATE -> DateTimeText.date(v);
            case TIME -> DateTimeText.time(v);
            case TIMETZ -> v instanceof OffsetTime ? v : DateTimeText.timetz(text(v));
            case TIMESTAMP -> DateTimeText.timestamp(v);
            case TIMESTAMPTZ -> timestamptz(v);
            case INTERVAL -> interval(v);
            case UUID -> v instanceof UUID ? v : UUID.fromString(text(v).strip());
        };
    }

    /** The text of strings, driver objects ({@code PGobject.getValue()} via toString) and anything else. */
    static String text(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof org.postgresql.util.PGobject o) {
            return o.getValue();
        }
        return v.toString();
    }

    private static Object bool(Object v) {
        if (v instanceof Boolean) {
            return v;
        }
        if (v instanceof Number n) {
            return n.longValue() != 0;
        }
        return switch (text(v).strip().toLowerCase(java.util.Locale.ROOT)) {
            case "t", "true", "y", "yes", "on", "1" -> Boolean.TRUE;
            case "f", "false", "n", "no", "off", "0" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("not a boolean: " + v);
        };
    }

    private static long integral(Object v, long min, long max) {
        long l;
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            l = ((Number) v).longValue();
        } else if (v instanceof Number n) {
            l = new BigDecimal(n.toString()).longValueExact();
        } else {
            l = Long.parseLong(text(v).strip());
        }
        if (l < min || l > max) {
            throw new IllegalArgumentException(l + " is out of range [" + min + ", " + max + "]");
        }
        return l;
    }

    private static Object decimal(Object v) {
        if (v instanceof BigDecimal) {
            return v;
        }
        if (v instanceof BigInteger b) {
            return new BigDecimal(b);
        }
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return BigDecimal.valueOf(((Number) v).longValue());
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d)) {
                return Decimals.NAN;
            }
            if (Double.isInfinite(d)) {
                return d > 0 ? Decimals.INFINITY : Decimals.NEGATIVE_INFINITY;
            }
            return new BigDecimal(v.toString());
        }
        return Decimals.parse(text(v).strip());
    }

    private static byte[] bytes(Object v) {
        if (v instanceof byte[] b) {
            return b;
        }
        if (v instanceof ByteBuffer b) {
            ByteBuffer d = b.duplicate();
            byte[] out = new byte[d.remaining()];
            d.get(out);
            return out;
        }
        String s = text(v);
        if (s.startsWith("\\x")) {
            return HexFormat.of().parseHex(s, 2, s.length());
        }
        throw new IllegalArgumentException("bytes must be byte[], ByteBuffer or PostgreSQL hex text (\\x...)");
    }

    private static OffsetDateTime timestamptz(Object v) {
        if (v instanceof OffsetDateTime t) {
            return Temporals.utc(t);
        }
        if (v instanceof Instant i) {
            return i.atOffset(java.time.ZoneOffset.UTC);
        }
        if (v instanceof ZonedDateTime z) {
            return Temporals.utc(z.toOffsetDateTime());
        }
        if (v instanceof Timestamp t) {
            return t.toInstant().atOffset(java.time.ZoneOffset.UTC);
        }
        return Temporals.utc(DateTimeText.timestamptz(text(v)));
    }

    private static String interval(Object v) {
        if (v instanceof Duration d) {
            return IntervalText.format(d);
        }
        if (v instanceof org.postgresql.util.PGInterval i) {
            return IntervalText.format(i);
        }
        String s = text(v);
        if (isIsoOrVerboseInterval(s)) {
            try {
                return IntervalText.format(new org.postgresql.util.PGInterval(s));
            } catch (java.sql.SQLException e) {
                throw new IllegalArgumentException("not an interval: " + s, e);
            }
        }
        return s;
    }

    /** ISO 8601 ({@code P1DT2H}) and {@code postgres_verbose} ({@code @ 1 day}) texts are converted. */
    private static boolean isIsoOrVerboseInterval(String s) {
        return !s.isEmpty() && (s.charAt(0) == 'P' || s.charAt(0) == '@' || s.startsWith("-P"));
    }
}
