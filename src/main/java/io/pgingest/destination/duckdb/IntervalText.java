package io.pgingest.destination.duckdb;

import java.math.BigDecimal;
import java.util.Locale;

/**
 * Converts an interval in PostgreSQL's {@code postgres} style ({@code 1 year 2 mons -3 days +04:05:06.5})
 * into a form DuckDB's cast parses exactly ({@code 14 months -3 days 14706500000 microseconds}):
 * DuckDB does not accept signed clock parts such as {@code +04:05:06}. Stateless.
 */
final class IntervalText {

    private IntervalText() {
    }

    static String toDuckDb(String postgresInterval) {
        long months = 0;
        long days = 0;
        long micros = 0;
        String[] tokens = postgresInterval.trim().toLowerCase(Locale.ROOT).split("\\s+");
        for (int i = 0; i < tokens.length; i++) {
            String token = tokens[i];
            if (token.contains(":")) {
                micros += clockMicros(token, postgresInterval);
                continue;
            }
            if (i + 1 >= tokens.length) {
                throw invalid(postgresInterval);
            }
            long amount = parseLong(token, postgresInterval);
            String unit = tokens[++i];
            if (unit.startsWith("year")) {
                months += amount * 12;
            } else if (unit.startsWith("mon")) {
                months += amount;
            } else if (unit.startsWith("day")) {
                days += amount;
            } else {
                throw invalid(postgresInterval);
            }
        }
        return months + " months " + days + " days " + micros + " microseconds";
    }

    private static long clockMicros(String token, String whole) {
        boolean negative = token.startsWith("-");
        String clock = token.startsWith("-") || token.startsWith("+") ? token.substring(1) : token;
        String[] parts = clock.split(":");
        if (parts.length != 3) {
            throw invalid(whole);
        }
        long hours = parseLong(parts[0], whole);
        long minutes = parseLong(parts[1], whole);
        BigDecimal seconds = new BigDecimal(parts[2]);
        long micros = (hours * 3600 + minutes * 60) * 1_000_000L
                + seconds.movePointRight(6).setScale(0, java.math.RoundingMode.HALF_EVEN).longValueExact();
        return negative ? -micros : micros;
    }

    private static long parseLong(String text, String whole) {
        try {
            return Long.parseLong(text.startsWith("+") ? text.substring(1) : text);
        } catch (NumberFormatException e) {
            throw invalid(whole);
        }
    }

    private static IllegalArgumentException invalid(String value) {
        return new IllegalArgumentException("interval '" + value + "' is not in PostgreSQL's 'postgres' "
                + "IntervalStyle (e.g. '1 year 2 mons 3 days 04:05:06'); the source must read intervals with "
                + "IntervalStyle=postgres");
    }
}
