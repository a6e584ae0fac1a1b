package io.pgingest.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * One line of a pipeline's {@code objects} setting: a table (or wildcard) and its query mode.
 * The setting holds one selection per line (or separated by {@code ;}):
 * <pre>
 * public.orders: delta-timestamp(updated_at)
 * "Sales"."Order Items": cdc(updated_at, id)
 * *: full-load
 * </pre>
 * A line without {@code : mode} uses the pipeline's default query mode.
 */
public record ObjectSelection(ObjectName name, QueryMode mode) {

    /** Parses the whole setting; throws {@link IllegalArgumentException} naming the bad line. */
    public static List<ObjectSelection> parseAll(String text, QueryMode defaultMode) {
        List<ObjectSelection> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        for (String rawLine : text.split("\\R")) {
            for (String line : ObjectName.splitOutsideQuotes(rawLine, ';')) {
                String trimmed = line.strip();
                if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                    continue;
                }
                out.add(parseLine(trimmed, defaultMode));
            }
        }
        return out;
    }

    private static ObjectSelection parseLine(String line, QueryMode defaultMode) {
        List<String> parts = ObjectName.splitOutsideQuotes(line, ':');
        try {
            ObjectName name = ObjectName.parse(parts.get(0));
            QueryMode mode = parts.size() == 1 ? defaultMode : QueryMode.parse(String.join(":", parts.subList(1, parts.size())));
            return new ObjectSelection(name, mode);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("in line '" + line + "': " + e.getMessage(), e);
        }
    }
}
