/// One step of a compiled program, in the classic Thompson/Pike form.
///
/// Program counters are `Int32` so an instruction stays 12 bytes; programs are capped
/// far below that range.
enum Instruction: Sendable {
    /// Consume exactly this scalar (the common literal case, kept off the set lookup).
    case scalar(UInt32)
    /// Consume one scalar that is in `Program.sets[index]`.
    case set(Int32)
    /// Continue at both targets.
    case split(Int32, Int32)
    case jump(Int32)
    /// Continue only if the zero-width condition holds at the current position.
    case assert(Assertion)
    case match
}

/// A `ScalarSet` laid out for the VM: ASCII membership is two bit masks, the rest a
/// sorted range list searched by bisection.
struct CompiledSet: Sendable {
    private let asciiLow: UInt64
    private let asciiHigh: UInt64
    private let lowerBounds: [UInt32]
    private let upperBounds: [UInt32]

    init(_ set: ScalarSet) {
        var masks: (low: UInt64, high: UInt64) = (0, 0)
        var lower: [UInt32] = []
        var upper: [UInt32] = []
        for range in set.ranges {
            if range.lowerBound < 128 {
                for scalar in range.lowerBound...min(range.upperBound, 127) {
                    if scalar < 64 { masks.low |= 1 << scalar } else { masks.high |= 1 << (scalar - 64) }
                }
            }
            if range.upperBound >= 128 {
                lower.append(max(range.lowerBound, 128))
                upper.append(range.upperBound)
            }
        }
        (asciiLow, asciiHigh) = masks
        lowerBounds = lower
        upperBounds = upper
    }

    /// The ranges above ASCII it keeps, the measure of its memory (8 bytes each).
    var rangeCount: Int { lowerBounds.count }

    @inline(__always)
    func contains(_ scalar: UInt32) -> Bool {
        if scalar < 64 { return asciiLow & (1 << scalar) != 0 }
        if scalar < 128 { return asciiHigh & (1 << (scalar - 64)) != 0 }
        var low = 0
        var high = upperBounds.count
        while low < high {
            let mid = (low &+ high) >> 1
            if upperBounds[mid] < scalar { low = mid &+ 1 } else { high = mid }
        }
        return low < upperBounds.count && lowerBounds[low] <= scalar
    }
}
