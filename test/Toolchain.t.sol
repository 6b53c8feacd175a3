// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Test} from "forge-std/Test.sol";
import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";

contract ToolchainTest is Test {
    function test_compilerIsCancun_transientStorageWorks() public {
        uint256 v;
        assembly {
            tstore(0x01, 42)
            v := tload(0x01)
        }
        assertEq(v, 42);
    }
}
