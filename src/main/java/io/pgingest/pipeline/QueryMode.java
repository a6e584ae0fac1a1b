package io.pgingest.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The query mode of one table-mode object, as written in a pipeline's {@code objects}:
 * {@code full-load}, {@code delta-timestamp(col[, delay=ms])}, {@code append-only(col)},
 * {@code cdc(timestampCol, incrementingCol)}.
 *
 * @param kind               the mode
 * @param timestampColumn    delta-timestamp and cdc: the timestamp column, else null
 * @param incrementingColumn append-only and cdc: the unique incrementing column, else null
 * @param delayMillis        delta-timestamp and cdc: rows newer than now minus this are left for a later run
 */
public record QueryMode(Kind kind, String timestampColumn, String incrementingColumn, long delayMillis) {

    /** The query modes of SPEC "Table". */
    public enum Kind {
        FULL_LOAD("full-load"),
        DELTA_TIMESTAMP("delta-timestamp"),
        APPEND_ONLY("append-only"),
        CDC("cdc");

        private final String keyword;

        Kind(String keyword) {
            this.keyword = keyword;
        }

        public String keyword() {
            return keyword;
        }
    }

    public static final QueryMode FULL_LOAD = new QueryMode(Kind.FULL_LOAD, null, null, 0);

    static final String ALLOWED = "full-load, delta-timestamp(<timestamp column>[, delay=<ms>]), "
            + "append-only(<unique incrementing column>), cdc(<timestamp column>, <unique incrementing column>[, delay=<ms>])";

    /**
     * Parses a query mode; throws {@link IllegalArgumentException} with a message saying what
     * is allowed. Column names may be double-quoted to keep case or special characters.
     */
    public static QueryMode parse(String text) {
        String s = text.trim();
        int open = s.indexOf('(');
        String keyword = (open < 0 ? s : s.substring(0, open)).trim().toLowerCase(Locale.ROOT);
        List<String> args = open < 0 ? List.of() : arguments(s, open);
        List<String> columns = new ArrayList<>();
        long delay = 0;
        for (String arg : args) {
            if (arg.toLowerCase(Locale.ROOT).startsWith("delay=")) {
                delay = parseDelay(arg.substring(6).trim());
            } else {
                columns.add(ObjectName.unquote(arg));
            }
        }
        if (keyword.equals("xmin")) {
            throw new IllegalArgumentException("XMIN is not a query mode of table pipelines (deprecated since Hevo 2.19);"
                    + " use a pipeline with mode: xmin instead, or one of: " + ALLOWED);
        }
        return switch (keyword) {
            case "full-load" -> expect(Kind.FULL_LOAD, columns, 0, delay, text);
            case "delta-timestamp" -> expect(Kind.DELTA_TIMESTAMP, columns, 1, delay, text);
            case "append-only" -> expect(Kind.APPEND_ONLY, columns, 1, delay, text);
            case "cdc" -> expect(Kind.CDC, columns, 2, delay, text);
            default -> throw new IllegalArgumentException("unknown query mode '" + text.trim() + "'; allowed: " + ALLOWED);
        };
    }

    private static QueryMode expect(Kind kind, List<String> columns, int count, long delay, String text) {
        if (columns.size() != count) {
            throw new IllegalArgumentException("query mode '" + text.trim() + "' needs " + count + " column name"
                    + (count == 1 ? "" : "s") + "; allowed: " + ALLOWED);
        }
        if (delay > 0 && kind != Kind.DELTA_TIMESTAMP && kind != Kind.CDC) {
            throw new IllegalArgumentException("query mode '" + text.trim() + "': delay= applies to delta-timestamp and cdc only");
        }
        return switch (kind) {
            case FULL_LOAD -> FULL_LOAD;
            case DELTA_TIMESTAMP -> new QueryMode(kind, columns.get(0), null, delay);
            case APPEND_ONLY -> new QueryMode(kind, null, columns.get(0), 0);
            case CDC -> new QueryMode(kind, columns.get(0), columns.get(1), delay);
        };
    }

    private static List<String> arguments(String s, int open) {
        if (!s.endsWith(")")) {
            throw new IllegalArgumentException("query mode '" + s + "' lacks a closing ')'; allowed: " + ALLOWED);
        }
        List<String> out = new ArrayList<>();
        for (String part : ObjectName.splitOutsideQuotes(s.substring(open + 1, s.length() - 1), ',')) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    private static long parseDelay(String v) {
        String digits = v.toLowerCase(Locale.ROOT).endsWith("ms") ? v.substring(0, v.length() - 2).trim() : v;
        try {
            long ms = Long.parseLong(digits);
            if (ms < 0) {
                throw new NumberFormatException();
            }
            return ms;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("delay '" + v + "' is not a number of milliseconds >= 0");
        }
    }

    /** The text form, parseable by {@link #parse}. */
    @Override
    public String toString() {
        return switch (kind) {
            case FULL_LOAD -> kind.keyword();
            case DELTA_TIMESTAMP -> kind.keyword() + "(" + ObjectName.quoteIfNeeded(timestampColumn)
                    + (delayMillis > 0 ? ", delay=" + delayMillis : "") + ")";
            case APPEND_ONLY -> kind.keyword() + "(" + ObjectName.quoteIfNeeded(incrementingColumn) + ")";
            case CDC -> kind.keyword() + "(" + ObjectName.quoteIfNeeded(timestampColumn) + ", "
                    + ObjectName.quoteIfNeeded(incrementingColumn) + (delayMillis > 0 ? ", delay=" + delayMillis : "") + ")";
        };
    }
}
