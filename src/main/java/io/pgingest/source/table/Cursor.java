package io.pgingest.source.table;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The persisted position of a table-mode object: the text values of its cursor columns at
 * the last committed row (empty before the first row), and for a load in progress the run it
 * belongs to. An incremental mode's historical load pages by key and records the ceiling it
 * will continue from. Stored as {@code run=<n>;v=<v1>,<v2>[;c=<c1>,<c2>]}, values URL-encoded.
 *
 * @param run     position of the run in progress (0 between runs of incremental modes)
 * @param values  text of the cursor columns (key columns, timestamp, incrementing column)
 * @param ceiling during the historical load of an incremental mode: the mode's cursor to
 *                continue from once every row has been read by key; else empty
 */
public record Cursor(long run, List<String> values, List<String> ceiling) {

    public Cursor {
        values = List.copyOf(values);
        ceiling = List.copyOf(ceiling);
    }

    public static Cursor of(long run, List<String> values) {
        return new Cursor(run, values, List.of());
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    public String encode() {
        return "run=" + run + ";v=" + join(values) + (ceiling.isEmpty() ? "" : ";c=" + join(ceiling));
    }

    private static String join(List<String> parts) {
        List<String> encoded = new ArrayList<>();
        for (String v : parts) {
            encoded.add(URLEncoder.encode(v, StandardCharsets.UTF_8));
        }
        return String.join(",", encoded);
    }

    private static List<String> split(String text) {
        List<String> values = new ArrayList<>();
        if (!text.isEmpty()) {
            for (String part : text.split(",", -1)) {
                values.add(URLDecoder.decode(part, StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    /** Parses {@link #encode()}'s form; throws {@link IllegalArgumentException} for anything else. */
    public static Cursor decode(String text) {
        if (text == null || !text.startsWith("run=") || !text.contains(";v=")) {
            throw new IllegalArgumentException("not a table cursor: " + text);
        }
        int sep = text.indexOf(";v=");
        long run = Long.parseLong(text.substring(4, sep));
        String rest = text.substring(sep + 3);
        int c = rest.indexOf(";c=");
        return new Cursor(run, split(c < 0 ? rest : rest.substring(0, c)), c < 0 ? List.of() : split(rest.substring(c + 3)));
    }
}
