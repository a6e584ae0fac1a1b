package io.pgingest.mapping;

import java.time.Duration;

/**
 * Formats an interval (months, days, microseconds: PostgreSQL's own representation) exactly as
 * the server prints it with {@code IntervalStyle = postgres}, e.g. {@code 1 year 2 mons 3 days 04:05:06.5}.
 * Stateless and thread-safe.
 */
final class IntervalText {

    private static final long MICROS_PER_SECOND = 1_000_000L;
    private static final long MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND;
    private static final long MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE;

    private IntervalText() {
    }

    /**
     * Parses what {@link TypeMapping#selectExpression} selects for an interval: {@code "months days micros"},
     * or the server's text for a non-finite interval (PostgreSQL 17+), which is kept as it is.
     */
    static String fromParts(String parts) {
        if (parts == null) {
            return null;
        }
        int a = parts.indexOf(' ');
        int b = parts.indexOf(' ', a + 1);
        if (a < 0 || b < 0) {
            return parts; // "infinity" / "-infinity"
        }
        return format(Integer.parseInt(parts, 0, a, 10), Integer.parseInt(parts, a + 1, b, 10),
                Long.parseLong(parts, b + 1, parts.length(), 10));
    }

    static String format(org.postgresql.util.PGInterval i) {
        long micros = i.getHours() * MICROS_PER_HOUR + i.getMinutes() * MICROS_PER_MINUTE
                + i.getWholeSeconds() * MICROS_PER_SECOND + i.getMicroSeconds();
        return format(i.getYears() * 12 + i.getMonths(), i.getDays(), micros);
    }

    static String format(Duration d) {
        long micros = Math.addExact(Math.multiplyExact(d.getSeconds(), MICROS_PER_SECOND), d.getNano() / 1000);
        return format(0, 0, micros);
    }

    /** The algorithm of PostgreSQL's {@code EncodeInterval} for {@code INTSTYLE_POSTGRES}. */
    static String format(int months, int days, long micros) {
        StringBuilder sb = new StringBuilder(32);
        boolean[] zeroAndBefore = {true, false};
        addPart(sb, months / 12, "year", zeroAndBefore);
        addPart(sb, months % 12, "mon", zeroAndBefore);
        addPart(sb, days, "day", zeroAndBefore);
        long hours = micros / MICROS_PER_HOUR;
        long rest = micros - hours * MICROS_PER_HOUR;
        long minutes = rest / MICROS_PER_MINUTE;
        rest -= minutes * MICROS_PER_MINUTE;
        long seconds = rest / MICROS_PER_SECOND;
        long fraction = rest - seconds * MICROS_PER_SECOND;
        boolean isZero = zeroAndBefore[0];
        if (isZero || micros != 0) {
            boolean minus = micros < 0;
            if (!isZero) {
                sb.append(' ');
                sb.append(minus ? "-" : zeroAndBefore[1] ? "+" : "");
            } else if (minus) {
                sb.append('-');
            }
            pad2(sb, Math.abs(hours)).append(':');
            pad2(sb, Math.abs(minutes)).append(':');
            pad2(sb, Math.abs(seconds));
            appendFraction(sb, Math.abs(fraction));
        }
        return sb.toString();
    }

    private static void addPart(StringBuilder sb, long value, String unit, boolean[] zeroAndBefore) {
        if (value == 0) {
            return;
        }
        if (!zeroAndBefore[0]) {
            sb.append(' ');
        }
        if (zeroAndBefore[1] && value > 0) {
            sb.append('+');
        }
        sb.append(value).append(' ').append(unit);
        if (value != 1) {
            sb.append('s');
        }
        // PostgreSQL: each non-zero field decides whether the next one shows an explicit '+'.
        zeroAndBefore[1] = value < 0;
        zeroAndBefore[0] = false;
    }

    private static StringBuilder pad2(StringBuilder sb, long v) {
        if (v < 10) {
            sb.append('0');
        }
        return sb.append(v);
    }

    private static void appendFraction(StringBuilder sb, long fraction) {
        if (fraction == 0) {
            return;
        }
        String digits = Long.toString(fraction + MICROS_PER_SECOND).substring(1);
        int end = digits.length();
        while (digits.charAt(end - 1) == '0') {
            end--;
        }
        sb.append('.').append(digits, 0, end);
    }
}
