public enum RegexPlaceholder {}
