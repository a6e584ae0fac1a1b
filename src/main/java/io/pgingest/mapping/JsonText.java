package io.pgingest.mapping;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.HexFormat;
import java.util.Map;

/**
 * Writes array-like Java values ({@link java.sql.Array}, {@code Object[]}, primitive arrays,
 * {@link Iterable}, {@link Map}) as JSON text shaped like PostgreSQL's {@code array_to_json}: nested
 * arrays stay nested, SQL NULL becomes {@code null}, non-finite floats become strings.
 */
final class JsonText {

    /** PostgreSQL's JSON form of timestamps: ISO 8601, fraction only when non-zero, without trailing zeros. */
    private static final DateTimeFormatter LOCAL = new DateTimeFormatterBuilder()
            .appendPattern("uuuu-MM-dd'T'HH:mm:ss").appendFraction(ChronoField.NANO_OF_SECOND, 0, 6, true)
            .toFormatter();
    private static final DateTimeFormatter OFFSET = new DateTimeFormatterBuilder()
            .append(LOCAL).appendOffset("+HH:MM", "+00:00").toFormatter();

    private JsonText() {
    }

    static boolean isArrayLike(Object v) {
        return v instanceof java.sql.Array || v instanceof Iterable<?> || v instanceof Map<?, ?>
                || (v.getClass().isArray() && !(v instanceof byte[]));
    }

    static String of(Object value) {
        StringBuilder sb = new StringBuilder(64);
        write(sb, value);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof java.sql.Array a) {
            write(sb, sqlArray(a));
        } else if (v instanceof Map<?, ?> m) {
            writeObject(sb, m);
        } else if (v instanceof Iterable<?> it) {
            sb.append('[');
            String sep = "";
            for (Object e : it) {
                sb.append(sep);
                write(sb, e);
                sep = ",";
            }
            sb.append(']');
        } else if (v.getClass().isArray() && !(v instanceof byte[])) {
            sb.append('[');
            for (int i = 0, n = Array.getLength(v); i < n; i++) {
                sb.append(i == 0 ? "" : ",");
                write(sb, Array.get(v, i));
            }
            sb.append(']');
        } else {
            writeScalar(sb, v);
        }
    }

    private static void writeObject(StringBuilder sb, Map<?, ?> m) {
        sb.append('{');
        String sep = "";
        for (Map.Entry<?, ?> e : m.entrySet()) {
            sb.append(sep);
            string(sb, String.valueOf(e.getKey()));
            sb.append(':');
            write(sb, e.getValue());
            sep = ",";
        }
        sb.append('}');
    }

    private static void writeScalar(StringBuilder sb, Object v) {
        if (v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof BigDecimal d) {
            sb.append(d.toPlainString());
        } else if (v instanceof Double d && !Double.isFinite(d) || v instanceof Float f && !Float.isFinite(f)) {
            string(sb, v.toString());
        } else if (v instanceof Number) {
            sb.append(v);
        } else if (v instanceof byte[] b) {
            string(sb, "\\x" + HexFormat.of().formatHex(b));
        } else {
            string(sb, temporalText(v));
        }
    }

    private static String temporalText(Object v) {
        if (v instanceof Timestamp t) {
            return LOCAL.format(t.toLocalDateTime());
        }
        if (v instanceof java.sql.Date d) {
            return d.toLocalDate().toString();
        }
        if (v instanceof LocalDateTime t) {
            return LOCAL.format(t);
        }
        if (v instanceof OffsetDateTime t) {
            return OFFSET.format(Temporals.utc(t));
        }
        if (v instanceof LocalDate d) {
            return d.toString();
        }
        return v.toString();
    }

    private static Object sqlArray(java.sql.Array a) {
        try {
            return a.getArray();
        } catch (SQLException e) {
            throw new IllegalArgumentException("cannot read the elements of a SQL array: " + e.getMessage(), e);
        }
    }

    /** JSON string escaping as PostgreSQL's {@code escape_json} does it (also for {@link ArrayJson}). */
    static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
