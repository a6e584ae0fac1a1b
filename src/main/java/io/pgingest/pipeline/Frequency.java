package io.pgingest.pipeline;

import java.time.Duration;
import java.util.Locale;

/**
 * Polling frequency rules of SPEC "Pipeline" (the seed's "After Release 2.21" table):
 * table, custom-sql and xmin pipelines default to 6 h, minimum 30 min, maximum 24 h; a
 * custom value is an integer number of hours 1–24. Log-based pipelines stream unless a
 * frequency is set (30 min to 12 h).
 */
public final class Frequency {

    public static final Duration TABLE_DEFAULT = Duration.ofHours(6);
    public static final Duration MINIMUM = Duration.ofMinutes(30);
    public static final Duration TABLE_MAXIMUM = Duration.ofHours(24);
    public static final Duration LOG_MAXIMUM = Duration.ofHours(12);

    private Frequency() {
    }

    /**
     * Parses {@code 30m}, {@code 30min}, {@code <n>h} or a bare integer {@code <n>} (hours);
     * throws {@link IllegalArgumentException} stating the bounds when the value is not allowed.
     */
    public static Duration parse(String text, Duration maximum) {
        String s = text.trim().toLowerCase(Locale.ROOT).replace(" ", "");
        String rule = "allowed: 30m, or an integer number of hours from 1h to " + maximum.toHours() + "h";
        if (s.equals("30m") || s.equals("30min") || s.equals("0.5h")) {
            return MINIMUM;
        }
        String hours = s.endsWith("hours") ? s.substring(0, s.length() - 5)
                : s.endsWith("h") ? s.substring(0, s.length() - 1) : s;
        if (!hours.matches("\\d{1,3}")) {
            throw new IllegalArgumentException("frequency '" + text.trim() + "' is not allowed: custom frequencies are whole hours; " + rule);
        }
        long h = Long.parseLong(hours);
        if (h < 1 || h > maximum.toHours()) {
            throw new IllegalArgumentException("frequency '" + text.trim() + "' is out of bounds; " + rule);
        }
        return Duration.ofHours(h);
    }

    /** Human form: {@code 30m} or {@code 6h}. */
    public static String format(Duration d) {
        return d.toMinutes() % 60 == 0 ? d.toHours() + "h" : d.toMinutes() + "m";
    }
}
