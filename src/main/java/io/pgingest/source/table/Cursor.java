package io.pgingest.source.table;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The persisted position of a table-mode object: the text values of its cursor columns at
 * the last committed row (empty before the first row), and for a Full Load in progress the
 * run it belongs to. Stored as {@code run=<n>;v=<v1>,<v2>} with values URL-encoded.
 *
 * @param run    Full Load: position of the run in progress (0 for incremental modes)
 * @param values text of the cursor columns (key columns, timestamp, incrementing column)
 */
public record Cursor(long run, List<String> values) {

    public Cursor {
        values = List.copyOf(values);
    }

    public static Cursor of(long run, List<String> values) {
        return new Cursor(run, values);
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    public String encode() {
        List<String> encoded = new ArrayList<>();
        for (String v : values) {
            encoded.add(URLEncoder.encode(v, StandardCharsets.UTF_8));
        }
        return "run=" + run + ";v=" + String.join(",", encoded);
    }

    /** Parses {@link #encode()}'s form; throws {@link IllegalArgumentException} for anything else. */
    public static Cursor decode(String text) {
        if (text == null || !text.startsWith("run=") || !text.contains(";v=")) {
            throw new IllegalArgumentException("not a table cursor: " + text);
        }
        int sep = text.indexOf(";v=");
        long run = Long.parseLong(text.substring(4, sep));
        String rest = text.substring(sep + 3);
        List<String> values = new ArrayList<>();
        if (!rest.isEmpty()) {
            for (String part : rest.split(",", -1)) {
                values.add(URLDecoder.decode(part, StandardCharsets.UTF_8));
            }
        }
        return new Cursor(run, values);
    }
}
