package io.pgingest.pipeline;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How a pipeline reads its source (SPEC "Ingestion modes"). */
public enum IngestionMode {
    LOGICAL_REPLICATION("logical-replication"),
    TABLE("table"),
    CUSTOM_SQL("custom-sql"),
    XMIN("xmin");

    private final String keyword;

    IngestionMode(String keyword) {
        this.keyword = keyword;
    }

    public String keyword() {
        return keyword;
    }

    /** Parses the keyword; throws {@link IllegalArgumentException} listing the allowed values. */
    public static IngestionMode parse(String text) {
        for (IngestionMode m : values()) {
            if (m.keyword.equalsIgnoreCase(text.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown mode '" + text.trim() + "'; allowed: "
                + Arrays.stream(values()).map(IngestionMode::keyword).collect(Collectors.joining(", ")));
    }
}
