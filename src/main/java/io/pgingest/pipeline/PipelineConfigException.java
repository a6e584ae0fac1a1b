package io.pgingest.pipeline;

/**
 * A pipeline setting is missing or wrong. The message is one line naming the route file
 * (when known), the pipeline, the key, the value and what is allowed.
 */
public class PipelineConfigException extends RuntimeException {

    private final String location;
    private final String pipeline;
    private final String key;
    private final String detail;

    public PipelineConfigException(String pipeline, String key, String detail) {
        this(null, pipeline, key, detail, null);
    }

    public PipelineConfigException(String pipeline, String key, String detail, Throwable cause) {
        this(null, pipeline, key, detail, cause);
    }

    private PipelineConfigException(String location, String pipeline, String key, String detail, Throwable cause) {
        super(format(location, pipeline, key, detail), cause);
        this.location = location;
        this.pipeline = pipeline;
        this.key = key;
        this.detail = detail;
    }

    /** The same error with the route file (e.g. {@code routes/shop.camel.yaml:3}) in front. */
    public PipelineConfigException withLocation(String newLocation) {
        if (newLocation == null || newLocation.isBlank() || location != null) {
            return this;
        }
        return new PipelineConfigException(newLocation, pipeline, key, detail, getCause());
    }

    public String pipeline() {
        return pipeline;
    }

    public String key() {
        return key;
    }

    private static String format(String location, String pipeline, String key, String detail) {
        StringBuilder b = new StringBuilder();
        if (location != null) {
            b.append(location).append(": ");
        }
        b.append("pipeline '").append(pipeline).append('\'');
        if (key != null) {
            b.append(", key '").append(key).append('\'');
        }
        return b.append(": ").append(detail).toString();
    }
}
