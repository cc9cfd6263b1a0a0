"""What rendering a template may cost, so no template can hold a worker for long or fill its memory.

The sandbox (rendering.PlaceholderSandbox) keeps a template away from Python's internals, but a
template can still ask for a lot of work in a few characters: `' '.ljust(10**9)`,
`10|round(-10**7)`, `'%0999999999d' % 1`, a macro that calls itself, loops nested over long
strings. Each cost is bounded where it arises, by hooks that the sandbox and the code generator
below put into every compiled template:

- size: a string or container that an operation takes or makes (operators, `~`, methods,
  filters, tests, literals, slices) is at most MAX_VALUE_LENGTH characters. Operations that
  multiply sizes (`*`, `**`, `%` widths, padding, expandtabs, replace, join, round) are checked
  before they run; the others, linear in their input, after. A rendered part, and each block
  it buffers (a macro's output, `{% set %}...{% endset %}`), is at most MAX_OUTPUT_LENGTH.
- work: the render of one message (its three parts) has a Budget of steps (template nodes run,
  loop items taken, calls) and of characters (output, made, copied or compared). Every block
  charges its nodes and its text each time it runs, every loop each item, every operation what
  it makes or goes through.
- depth: calls (macros, `caller()`, recursive loops) nest at most MAX_CALL_DEPTH deep and a
  template's syntax at most MAX_NESTING, far below Python's recursion limit: recursion is
  refused before it happens, in parsing and compiling as well as in rendering.
- a clock: a render stops after RENDER_SECONDS whatever it does. The budgets above are what stop
  a template; the clock is there for a cost they do not foresee.

A template over a limit gets a LimitExceeded that says what was too big, too slow or too deep.
"""
import re
import time
from contextvars import ContextVar
from functools import wraps

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, operators, optimizeconst
from jinja2.exceptions import TemplateRuntimeError
from jinja2.runtime import LoopContext, Macro

# A template part as typed. Gmail clips an email above 102 KB of HTML, so a real one is far
# shorter than 256 K characters; the rest is room for comments and the <style> block. The editor
# holds a subject to MAX_SUBJECT_LENGTH, the longest header line RFC 5322 allows; the check allows
# twice that, as a send test adds "[Test] " and the message builder folds a long subject anyway.
MAX_SUBJECT_LENGTH = 998
MAX_TEMPLATE_LENGTH = {"subject": 2 * MAX_SUBJECT_LENGTH, "html": 256 * 1024, "text": 256 * 1024}
# Checking and compiling a template for a preview or a send takes about half a millisecond per
# tag ({{ }} or {% %}; a tracked link becomes one), so a part at this limit takes about a second.
# A long email has a few hundred.
MAX_TAGS = 2500
MAX_OUTPUT_LENGTH = 1_000_000  # about four times the longest template: inlined CSS, links, contact data
# Any text an email works on is shorter, and splitting or joining that much (a few dozen bytes of
# Python object per piece) stays within a few MB.
MAX_VALUE_LENGTH = 200_000
# A step is a template node run or a loop item taken: 0.2 to 1 microseconds (a call). A long
# email runs a few thousand; a loop over a hundred items with a long body, tens of thousands.
MAX_STEPS = 200_000
CALL_STEPS = 5  # a call (a macro's, a method's) takes the time of about five steps
# Characters output, made, copied or compared, each a few nanoseconds (slow filters count more,
# FILTER_COSTS). A long email outputs a few hundred thousand.
MAX_CHARACTERS = 5_000_000
# What an item of a list, tuple or dict weighs, in characters: about its memory, and the time to
# walk, compare or hash it (a few hundred nanoseconds in Python).
ITEM_WEIGHT = 32
# What a block pays for each of its {{ value }}s when it runs; an output longer than this pays
# the rest itself (rendering._output_html). A name or a link is shorter, and then costs nothing
# more at runtime: sending runs thousands of outputs a second.
OUTPUT_ALLOWANCE = 256
MAX_CALL_DEPTH = 32  # each level takes a few Python frames: ~200 of the 1,000 Python allows
MAX_NESTING = 64  # parsing and compiling take a few Python frames per level
MAX_LOOP_NESTING = 10  # Python compiles at most 20 nested blocks
MAX_NUMBER_BITS = 1000  # about 300 digits
MAX_FORMAT_WIDTH = 1000  # a width or precision in %-formatting
RENDER_SECONDS = 0.5


_CONTAINERS = (list, tuple, type({}.keys()), type({}.values()), type({}.items()))


class LimitExceeded(TemplateRuntimeError):
    """A template asked for more than a render may spend; the message says what and how much."""


def _too_big(limit):
    return LimitExceeded(f"too big: the template makes text or a list longer than {limit:,} characters")


def _too_big_number():
    return LimitExceeded(f"too big: numbers above 2**{MAX_NUMBER_BITS} (about 300 digits) are not allowed")


def overspent():
    return LimitExceeded(f"too slow: the template outputs, makes or compares more than {MAX_CHARACTERS:,} characters")


# --- the budget ------------------------------------------------------------------------------

# The budget of the render in progress. Outside a render there is none (LookupError): Jinja's
# constant folding at compile time takes that for "not a constant", so no filter or test that a
# template names ever runs unbudgeted at compile time.
BUDGET = ContextVar("render budget")


class Budget:
    """What one message render may still spend. `with Budget():` around the render of a
    message's parts makes it the budget that every hook charges."""

    __slots__ = ("steps", "characters", "depth", "deadline", "_token")

    def __enter__(self):
        self.steps = MAX_STEPS
        self.characters = MAX_CHARACTERS
        self.depth = 0
        self.deadline = time.monotonic() + RENDER_SECONDS
        self._token = BUDGET.set(self)
        return self

    def __exit__(self, *exc_info):
        BUDGET.reset(self._token)


def step(count, characters=0):
    """Charges `count` steps (a block's nodes, a loop item) and the characters of the text they
    output, and looks at the clock."""
    budget = BUDGET.get()
    budget.steps -= count
    budget.characters -= characters
    if budget.steps < 0:
        raise LimitExceeded(f"too slow: loops and macros run more than {MAX_STEPS:,} template steps")
    if budget.characters < 0:
        raise overspent()
    if time.monotonic() > budget.deadline:
        raise LimitExceeded(f"too slow: rendering took longer than {RENDER_SECONDS} seconds")


def spend(characters):
    """Charges characters output, made, copied or compared."""
    budget = BUDGET.get()
    budget.characters -= characters
    if budget.characters < 0:
        raise overspent()


def weight(value, limit=MAX_VALUE_LENGTH):
    """What a value weighs in characters: a string its length, a container ITEM_WEIGHT per item
    plus what its items weigh; found without making anything, and counting stops past `limit`.

    A container counts everything in it as often as it appears: `(s,) * 1000` holds one string,
    yet its text, comparisons and hash go through that string a thousand times.
    """
    if type(value) is str:
        return len(value)
    total, pending = 0, [value]
    while pending and total <= limit:
        item = pending.pop()
        total += ITEM_WEIGHT
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, _CONTAINERS):
            pending.extend(item)
        elif isinstance(item, int):
            total += item.bit_length() // 3
    return total


def weighed(value, limit=MAX_OUTPUT_LENGTH):
    """A value about to be compared, hashed, passed on or taken apart: refused above `limit`,
    else the work it costs is spent. Text and lists that an operation goes through piece by
    piece (split, join, filters) are held to MAX_VALUE_LENGTH; a block's output may be longer."""
    size = len(value) if type(value) is str else weight(value, limit)
    if size > limit:
        raise _too_big(limit)
    spend(size)
    return value


def printable(value):
    """A value other than text about to become text, refused when that text would be too long
    (a tuple holding one long string a thousand times prints it a thousand times)."""
    if weight(value) > MAX_VALUE_LENGTH:
        raise _too_big(MAX_VALUE_LENGTH)
    return value


def made(value, limit=MAX_VALUE_LENGTH):
    """The result of an operation, once checked: not too big, and its size spent."""
    if type(value) is int and value.bit_length() > MAX_NUMBER_BITS:
        raise _too_big_number()
    return weighed(value, limit)


def counted(iterable, cost):
    """A loop's items, each charged `cost` steps (1, plus the size of the loop's `if` test)."""
    for item in iterable:
        step(cost)
        yield item


def joined(parts):
    """environment.concat: a rendered part or a buffered block. Each piece was paid for as it was
    output (by its block, and a long value by the output hook), so joining them is too."""
    text = "".join(parts)
    if len(text) > MAX_OUTPUT_LENGTH:
        raise LimitExceeded(f"too big: the rendered text is longer than {MAX_OUTPUT_LENGTH:,} characters")
    return text


def concatenated(join, parts):
    """`a ~ b ~ ...`, refused before joining when the parts add up to too much."""
    if sum(weight(part) for part in parts) > MAX_VALUE_LENGTH:
        raise _too_big(MAX_VALUE_LENGTH)
    return made(join(parts))


# --- operators -------------------------------------------------------------------------------

_CONVERSION = re.compile(r"[-+ #0]*(\*|\d*)(?:\.(\*|\d*))?")


def _format_fields(template):
    """(width, precision) of each conversion in a %-format string, read the way `str % values`
    reads them: a mapping key may nest parentheses, which a regular expression alone cannot follow."""
    position = template.find("%")
    while position != -1:
        index = position + 1
        if template.startswith("(", index):
            depth, index = 1, index + 1
            while index < len(template) and depth:
                depth += {"(": 1, ")": -1}.get(template[index], 0)
                index += 1
        conversion = _CONVERSION.match(template, index)
        yield conversion.group(1), conversion.group(2) or ""
        position = template.find("%", conversion.end() + 1)


def _check_format(template, values):
    for number in (number for fields in _format_fields(template) for number in fields if number):
        if number == "*":
            raise LimitExceeded("not allowed: '*' as a width or precision in %-formatting")
        if len(number) > 4 or int(number) > MAX_FORMAT_WIDTH:
            raise LimitExceeded(f"too big: widths and precisions in %-formatting are at most {MAX_FORMAT_WIDTH:,}")
    weighed(values, MAX_VALUE_LENGTH)


def check_binop(operator, left, right):
    """Refuses an operation whose result would be too big, before it runs."""
    for operand in (left, right):
        if type(operand) is int and operand.bit_length() > MAX_NUMBER_BITS:
            raise _too_big_number()
    both_int = isinstance(left, int) and isinstance(right, int)
    if operator == "**" and both_int and right > 0 and abs(left) > 1 and left.bit_length() * right > MAX_NUMBER_BITS:
        raise _too_big_number()
    if operator == "*":
        if both_int and left.bit_length() + right.bit_length() > MAX_NUMBER_BITS:
            raise _too_big_number()
        for sized, times in ((left, right), (right, left)):
            if isinstance(times, int) and isinstance(sized, (str, list, tuple)) and times > 0 \
                    and weight(sized) * times > MAX_VALUE_LENGTH:
                raise _too_big(MAX_VALUE_LENGTH)
    if operator == "%" and isinstance(left, str):
        _check_format(left, right)


# --- calls: methods, filters, tests ----------------------------------------------------------

def _padded(text, width, *_fillchar):
    return max(len(text), width)


def _tabs_expanded(text, tabsize=8):
    return len(text) + text.count("\t") * max(tabsize, 0)


def _replaced(text, old, new, count=-1):
    occurrences = len(text) + 1 if old == "" else text.count(old)
    if count is not None and count >= 0:
        occurrences = min(occurrences, count)
    return len(text) + occurrences * max(len(new) - len(old), 0)


def _joined(separator, items):
    return len(separator) * len(items) + weight(items)


# The str methods whose result can be far longer than the string: their size is known before they run.
SIZED_STR_METHODS = {
    "center": _padded, "ljust": _padded, "rjust": _padded, "zfill": _padded,
    "expandtabs": _tabs_expanded, "replace": _replaced, "join": _joined,
}
_ENGINE_ARGUMENTS = ("_loop_vars", "_block_vars")  # passed along by the compiled code, not by the template


def check_call(function, args, kwargs):
    """Before a call: its arguments are in bounds and spent (a macro packs extra ones into one
    tuple, which recursion could double at every level), and a str method that pads, repeats
    or joins would make at most MAX_VALUE_LENGTH. Returns the limit on the call's result."""
    weighed((args, [value for name, value in kwargs.items() if name not in _ENGINE_ARGUMENTS]))
    owner = getattr(function, "__self__", None)
    if isinstance(owner, str):
        weighed(owner, MAX_VALUE_LENGTH)
        size_of = SIZED_STR_METHODS.get(function.__name__)
        if size_of is not None and size_of(owner, *args, **kwargs) > MAX_VALUE_LENGTH:
            raise _too_big(MAX_VALUE_LENGTH)
    # A macro's result is the output of its body, which may be as long as a part.
    return MAX_OUTPUT_LENGTH if isinstance(function, Macro) else MAX_VALUE_LENGTH


def enter_call(function, args):
    """One level deeper; returns the arguments, a recursive loop's next items counted like any loop's."""
    step(CALL_STEPS)
    budget = BUDGET.get()
    budget.depth += 1
    if budget.depth > MAX_CALL_DEPTH:
        raise LimitExceeded(f"too deep: macros and loops call themselves more than {MAX_CALL_DEPTH} levels deep")
    if isinstance(function, LoopContext) and args:
        args = (counted(args[0], 1), *args[1:])
    return args


def leave_call():
    BUDGET.get().depth -= 1


def _round_digits(value, precision=0, *_method, **_kwargs):
    if isinstance(precision, int) and abs(precision) > MAX_NUMBER_BITS // 3:
        raise LimitExceeded(f"too big: round() to more than {MAX_NUMBER_BITS // 3} digits")


def _replace_size(text, old, new, count=None):
    if _replaced(text if isinstance(text, str) else str(text), str(old), str(new), count) > MAX_VALUE_LENGTH:
        raise _too_big(MAX_VALUE_LENGTH)


def _join_size(items, separator="", *_attribute, **_kwargs):
    if _joined(str(separator), items) > MAX_VALUE_LENGTH:
        raise _too_big(MAX_VALUE_LENGTH)


# Filters whose result can be far bigger, or far slower to make, than their input: checked before they run.
FILTER_CHECKS = {"round": _round_digits, "replace": _replace_size, "join": _join_size}
# Filters that go through their input a word or an item at a time in Python, 20 to 100 times
# slower than the others: what one character of their input counts for.
FILTER_COSTS = {"title": 25, "join": 20, "urlencode": 20, "striptags": 15, "wordcount": 6}


def bounded_filter(name, function):
    """The filter with its input bounded and spent, checked beforehand when it is in
    FILTER_CHECKS, and its result checked. Jinja's pass_* marker is kept by `wraps`, so Jinja
    calls it as before."""
    passes_argument = hasattr(function, "jinja_pass_arg")
    check = FILTER_CHECKS.get(name)
    cost = FILTER_COSTS.get(name, 1)

    @wraps(function)
    def bounded(*args, **kwargs):
        value_and_args = args[1:] if passes_argument else args
        size = weight(value_and_args[0])
        if size > MAX_VALUE_LENGTH:
            raise _too_big(MAX_VALUE_LENGTH)
        if check is not None:
            check(*value_and_args, **kwargs)
        result = function(*args, **kwargs)
        if type(result) is str and len(result) <= MAX_VALUE_LENGTH:  # most filters, most of the time
            spend(size * cost + len(result))
            return result
        spend(size * cost)
        return made(result)

    return bounded


def bounded_test(function):
    """An `is` test with its operands spent: `x is in y` compares as `x in y` does."""

    @wraps(function)
    def bounded(*args, **kwargs):
        weighed((args, list(kwargs.values())))
        return function(*args, **kwargs)

    return bounded


# --- the template: its nesting, and the compiled code that charges the budget ------------------

def nesting_problem(tree):
    """(message, line) when a parsed template nests deeper than the limits, else None; found
    without recursion, which is what a deep template would exhaust."""
    pending = [(tree, 1, 0)]
    while pending:
        node, depth, loops = pending.pop()
        loops += isinstance(node, nodes.For)
        if depth > MAX_NESTING:
            return f"the template nests more than {MAX_NESTING} levels deep", node.lineno
        if loops > MAX_LOOP_NESTING:
            return f"loops nest more than {MAX_LOOP_NESTING} deep", node.lineno
        pending.extend((child, depth + 1, loops) for child in node.iter_child_nodes())
    return None


def _text_of(node):
    if isinstance(node, nodes.TemplateData):
        return node.data
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return node.value
    return ""


def _size(tree_nodes, exclude=()):
    """(nodes, characters output) when these nodes run, without the bodies of the blocks among
    them, which charge themselves when they run. A {{ value }} counts OUTPUT_ALLOWANCE."""
    count, characters, pending = 0, 0, list(tree_nodes)
    while pending:
        node = pending.pop()
        count += 1
        characters += len(_text_of(node))
        if isinstance(node, nodes.Output):
            characters += OUTPUT_ALLOWANCE * sum(not isinstance(child, nodes.TemplateData) for child in node.nodes)
        pending.extend(node.iter_child_nodes(exclude=exclude))
    return count, characters


class BudgetedCodeGenerator(CodeGenerator):
    """Jinja's code generator, writing the budget's charges into the compiled template."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._loop_item_costs = {}  # id(a loop's iterable node) -> steps per item

    def blockvisit(self, block_nodes, frame):
        block_nodes = list(block_nodes)
        steps, characters = _size(block_nodes, exclude=("body", "else_"))
        if steps:
            self.writeline(f"environment.step({steps}, {characters})")
        super().blockvisit(block_nodes, frame)

    def visit_For(self, node, frame):
        # Each item costs a step, and its `if` test; the body charges its own block when it runs.
        self._loop_item_costs[id(node.iter)] = 1 + (_size([node.test])[0] if node.test else 0)
        super().visit_For(node, frame)

    def visit(self, node, *args, **kwargs):
        cost = self._loop_item_costs.pop(id(node), None)  # Jinja allows no node types of our own
        if cost is None:
            return super().visit(node, *args, **kwargs)
        self.write("environment.counted(")
        super().visit(node, *args, **kwargs)
        self.write(f", {cost})")
        return None

    def _output_child_pre(self, node, frame, finalize):
        if frame.eval_ctx.volatile:
            self.write("(environment.output_html if context.eval_ctx.autoescape else environment.output_text)(")
        else:
            self.write("environment.output_html(" if frame.eval_ctx.autoescape else "environment.output_text(")

    def _output_child_post(self, node, frame, finalize):
        self.write(")")

    @optimizeconst
    def visit_Concat(self, node, frame):
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.autoescape else str_join)"
        else:
            join = "markup_join" if frame.eval_ctx.autoescape else "str_join"
        self.write(f"environment.concatenated({join}, (")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")

    def _made(self, visit, node, frame):
        self.write("environment.made(")
        visit(node, frame)
        self.write(")")

    def visit_List(self, node, frame):
        self._made(super().visit_List, node, frame)

    def visit_Dict(self, node, frame):
        self._made(super().visit_Dict, node, frame)

    def visit_Tuple(self, node, frame):
        if node.ctx == "load":  # not the target of a loop or an assignment
            self._made(super().visit_Tuple, node, frame)
        else:
            super().visit_Tuple(node, frame)

    def _weighed(self, node, frame):
        # A constant costs what its author typed: only values made while rendering are weighed.
        if isinstance(node, nodes.Const):
            self.visit(node, frame)
        else:
            self.write("environment.weighed(")
            self.visit(node, frame)
            self.write(")")

    @optimizeconst
    def visit_Compare(self, node, frame):
        self.write("(")
        self._weighed(node.expr, frame)
        for operand in node.ops:
            self.write(f" {operators[operand.op]} ")
            self._weighed(operand.expr, frame)
        self.write(")")

    @optimizeconst
    def visit_Getitem(self, node, frame):
        if isinstance(node.arg, nodes.Slice):  # Jinja slices without the environment: a copy to check
            self._made(super().visit_Getitem, node, frame)
        elif isinstance(node.arg, nodes.Const):
            super().visit_Getitem(node, frame)
        else:  # a key is hashed, and a tuple's hash goes through all of it
            self.write("environment.getitem(")
            self.visit(node.node, frame)
            self.write(", ")
            self._weighed(node.arg, frame)
            self.write(")")
